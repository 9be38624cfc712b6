"""Model portfolio pages with back-test figures and chart, and the client's page for a pushed portfolio with
确认 / 暂不 (one-click order, idempotent however often it is posted).

No login for either: model portfolios hold no personal data, and a push's unguessable task id is the secret
(like a proposal's share token). A visitor signed in as somebody other than the push's client may look but
not decide. Unknown ids get 404, expired pushes 410 (Chinese pages).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from calc import clock
from calc.money import fmt_pct, fmt_yuan
from calc.performance import drawdown_series
from charts.render import render
from services.backtests import portfolio_backtest
from services.portfolios import find_portfolio, portfolio_lines
from services.prospects import UnknownProduct, portfolio_requirements
from services.push_decisions import ConfirmResult, confirm_push, decline_push, push_outcome, tell_advisor
from services.push_products import kind_title
from services.pushes import PushExpired, PushNotFound, view_push
from services.pushes import PushView as PushDetails
from web.deps import SessionDep
from web.identity import MaybeUser, WebUser
from web.routers.after_sale import BenchmarkQuery, load_review, review_context
from web.templating import templates

log = logging.getLogger(__name__)
router = APIRouter(tags=["portfolios"])
PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
STATUS_NAMES = {"pending": "待确认", "confirmed": "已确认", "declined": "已暂不购买", "expired": "已过期"}
PUSH_MESSAGES = {
    status.HTTP_404_NOT_FOUND: "没有找到这条组合推荐，请检查链接是否完整。",
    status.HTTP_410_GONE: "这条组合推荐已过期（7天内有效），不能再确认了。如仍感兴趣，请联系您的理财经理重新推荐。",
}
PORTFOLIO_MISSING = "没有找到这个组合。"


SIGN_IN_FIRST = "请从企业微信里收到的推荐消息打开链接，登录后再确认或暂不。"


def _refused(request: Request, code: int, message: str, user: WebUser | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "refused.html", {"user": user, "message": message},
                                      status_code=code, headers=PRIVATE)


def _backtest(session: Session, portfolio_id: int) -> dict[str, Any] | None:
    """Back-test figures and NAV path of a model portfolio (services.backtests, the same one the chat uses),
    or None without enough NAV history."""
    result = portfolio_backtest(session, portfolio_id)
    return result.as_dict() if result is not None else None


@router.get("/portfolios/{portfolio_id}", response_class=HTMLResponse, summary="A model portfolio with its back-test")
def portfolio_page(portfolio_id: int, request: Request, user: MaybeUser, session: SessionDep) -> HTMLResponse:
    try:
        portfolio = find_portfolio(session, portfolio_id)
    except UnknownProduct:
        return _refused(request, status.HTTP_404_NOT_FOUND, PORTFOLIO_MISSING, user)
    highest, minimum = portfolio_requirements(portfolio)
    lines = [(line.name, line.code, line.risk_level, fmt_pct(line.weight, 0), fmt_yuan(float(line.min_amount)))
             for line in portfolio_lines(portfolio, minimum)]
    figures = _backtest(session, portfolio.id)
    return templates.TemplateResponse(request, "portfolio.html", {
        "user": user, "portfolio": portfolio, "risk_level": highest, "lines": lines,
        "minimum": fmt_yuan(float(minimum)),
        "figures": _figure_rows(figures), "period": figures and figures["period"],
        "chart": f"/portfolios/{portfolio.id}/backtest.png" if figures else None,
    }, headers={"Cache-Control": "private, max-age=300"})


def _figure_rows(figures: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Back-test figures as labelled, formatted rows.

    >>> _figure_rows({"total_return": 0.1, "annualized_return": 0.033, "annualized_volatility": 0.02,
    ...               "max_drawdown": -0.015, "period": "x"})
    [('累计收益', '10.00%'), ('年化收益', '3.30%'), ('年化波动率', '2.00%'), ('最大回撤', '-1.50%')]
    """
    if not figures:
        return []
    labels = (("total_return", "累计收益"), ("annualized_return", "年化收益"),
              ("annualized_volatility", "年化波动率"), ("max_drawdown", "最大回撤"))
    return [(label, fmt_pct(float(figures[key]))) for key, label in labels if figures.get(key) is not None]


@lru_cache(maxsize=32)
def _chart_png(portfolio_id: int, name: str, dates: tuple[str, ...], nav: tuple[float, ...]) -> bytes:
    return render({"name": "backtest", "kind": "drawdown", "title": f"{name}回测净值与回撤",
                   "data": {"x": list(dates), "nav": list(nav), "drawdown": drawdown_series(nav).tolist()}})


@router.get("/portfolios/{portfolio_id}/backtest.png", summary="The back-test chart of a model portfolio (PNG)",
            response_class=Response, responses={200: {"content": {"image/png": {}}}, 404: {"description": "No data"}})
def portfolio_chart(portfolio_id: int, session: SessionDep) -> Response:
    try:
        portfolio = find_portfolio(session, portfolio_id)
    except UnknownProduct:
        return Response(PORTFOLIO_MISSING, status_code=404, media_type="text/plain; charset=utf-8")
    figures = _backtest(session, portfolio.id)
    if not figures or not figures.get("nav"):
        return Response("这个组合暂时没有回测数据。", status_code=404, media_type="text/plain; charset=utf-8")
    png = _chart_png(portfolio.id, portfolio.name, tuple(figures["dates"]), tuple(figures["nav"]))
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


def _push_context(details: PushDetails, user: WebUser | None, note: str = "", result: ConfirmResult | None = None
                  ) -> dict[str, Any]:
    return {"user": user, "push": details, "status_name": STATUS_NAMES.get(details.status, details.status),
            "kind_title": kind_title(details.kind, details.cooling_off),
            "amount": fmt_yuan(float(details.amount)),
            "lines": [(line.name, line.code, line.risk_level, fmt_pct(line.weight, 0), fmt_yuan(float(line.amount)))
                      for line in details.lines],
            "may_decide": details.status == "pending" and _may_decide(user, details), "note": note,
            "sign_in_first": SIGN_IN_FIRST if details.status == "pending" and user is None else "",
            "orders": [(o.name, fmt_yuan(float(o.amount))) for o in result.orders] if result else []}


def _may_decide(user: WebUser | None, details: PushDetails) -> bool:
    """Only the client the push was sent to, signed in (through the sign-in link the bot sent them), decides."""
    return user is not None and user.client_id == details.client_id


def _load(request: Request, task_id: str, session: Session, user: WebUser | None) -> PushDetails | HTMLResponse:
    try:
        return view_push(session, task_id, clock.now())
    except PushExpired:
        return _refused(request, status.HTTP_410_GONE, PUSH_MESSAGES[status.HTTP_410_GONE], user)
    except PushNotFound:
        return _refused(request, status.HTTP_404_NOT_FOUND, PUSH_MESSAGES[status.HTTP_404_NOT_FOUND], user)


@router.get("/pushes/{task_id}", response_class=HTMLResponse, summary="A pushed portfolio for its client",
            responses={404: {"description": "Unknown task id"}, 410: {"description": "Expired"}})
def push_page(task_id: str, request: Request, user: MaybeUser, session: SessionDep,
              benchmark: BenchmarkQuery = None) -> HTMLResponse:
    details = _load(request, task_id, session, user)
    if isinstance(details, HTMLResponse):
        return details
    result = None
    if details.status == "confirmed":
        result = push_outcome(session, task_id)
    page = _push_context(details, user, result=result)
    page["review"] = review_context(load_review(session, user, task_id, benchmark), task_id, benchmark)
    return templates.TemplateResponse(request, "push.html", page, headers=PRIVATE)


def _decide(task_id: str, request: Request, user: WebUser | None, session: Session, confirm: bool) -> Response:
    details = _load(request, task_id, session, user)
    if isinstance(details, HTMLResponse):
        return details
    if user is None:
        return _refused(request, status.HTTP_401_UNAUTHORIZED, SIGN_IN_FIRST, user)
    if not _may_decide(user, details):
        return _refused(request, status.HTTP_403_FORBIDDEN, "只有收到这条推荐的客户本人可以确认或暂不。", user)
    now = clock.now()
    result = (confirm_push if confirm else decline_push)(session, task_id, details.client_id, now)
    session.commit()  # the orders are stored before anyone is told about them
    tell_advisor(result)
    if result.status == "refused":
        page = _push_context(view_push(session, task_id, now), user,
                             note=f"暂时无法下单：{result.reason}。已通知您的理财经理。")
        return templates.TemplateResponse(request, "push.html", page, status_code=status.HTTP_409_CONFLICT,
                                          headers=PRIVATE)
    return RedirectResponse(f"/pushes/{task_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/pushes/{task_id}/confirm", summary="确认: create the orders (exactly once)",
             responses={303: {"description": "Decided; see the push page"}, 401: {"description": "Not signed in"},
                        403: {"description": "Signed in as somebody else"}, 409: {"description": "Not suitable now"}})
def confirm(task_id: str, request: Request, user: MaybeUser, session: SessionDep) -> Response:
    return _decide(task_id, request, user, session, confirm=True)


@router.post("/pushes/{task_id}/decline", summary="暂不: nothing is bought",
             responses={303: {"description": "Decided; see the push page"}, 401: {"description": "Not signed in"},
                        403: {"description": "Signed in as somebody else"}})
def decline(task_id: str, request: Request, user: MaybeUser, session: SessionDep) -> Response:
    return _decide(task_id, request, user, session, confirm=False)

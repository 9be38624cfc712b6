"""Proposal pages: `/proposals/{token}` (a Chinese page for phones) and its charts as PNG images.

No login: the unguessable share token is the secret. The payload was masked when the proposal was made, and
this page adds no personal data. Unknown or malformed tokens get 404, expired ones 410 (Chinese pages).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bank.models import Proposal
from bank.proposals import ProposalExpired, ProposalNotFound, chart_path, find_proposal
from calc import clock
from charts.render import ChartDataError, render
from services.after_sale import PushReview
from services.proposal_reviews import ProposalNotReviewable, proposal_review
from web.deps import SessionDep
from web.identity import MaybeUser, WebUser
from web.routers.after_sale import BenchmarkQuery, chart_png, identity_of, review_context
from web.templating import templates

log = logging.getLogger(__name__)
router = APIRouter(prefix="/proposals", tags=["proposals"])

CHART_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NUMERIC_CELL = re.compile(r"^[-+¥￥]?\d[\d,]*(\.\d+)?\s*(元|万元|万|亿|%|岁|年|个月|月|倍)?$")
KIND_NAMES = {"checkup": "财富体检", "plan_investment": "投资规划", "plan_pension": "养老规划",
              "plan_retirement": "退休规划", "plan_simulation": "模拟规划"}
PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {**PRIVATE, "Cache-Control": "private, no-store"}
CHART_HEADERS = {**PRIVATE, "Cache-Control": "private, max-age=3600"}
MESSAGES = {
    status.HTTP_404_NOT_FOUND: "没有找到这份建议书，请检查链接是否完整。",
    status.HTTP_410_GONE: "这份建议书的链接已过期。如需最新建议，请在对话中重新生成，或联系您的理财经理。",
}


def _date(value: dt.datetime) -> str:
    """A date for the page.

    >>> _date(dt.datetime(2026, 11, 28, 9, 30))
    '2026年11月28日'
    """
    return f"{value.year}年{value.month}月{value.day}日"


def _is_number(cell: Any) -> bool:
    """Whether a table cell reads as a figure (right-aligned on the page).

    >>> [_is_number(c) for c in ["12,000.00元", "3.50%", "-1.2万", "35岁", "随时要用的钱", 42]]
    [True, True, True, True, False, True]
    """
    return (isinstance(cell, int | float) and not isinstance(cell, bool)) or bool(
        isinstance(cell, str) and NUMERIC_CELL.match(cell.strip()))


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if str(v).strip()] if isinstance(value, list) else []


def split_header(rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """A table's header row, when the first row has no figure but later rows do (as bank/ builds its tables).

    >>> split_header([["", "现有", "缺口"], ["随时要用的钱", "5,000.00元", "—"]])
    (['', '现有', '缺口'], [['随时要用的钱', '5,000.00元', '—']])
    >>> split_header([["目标金额", "500,000.00元"], ["投资期限", "10年"]])[0], split_header([["重要", "保障不足"]])[0]
    ([], [])
    """
    if len(rows) >= 2 and not any(_is_number(c) for c in rows[0]) and any(
            _is_number(c) for row in rows[1:] for c in row):
        return [str(c) for c in rows[0]], rows[1:]
    return [], rows


def view(proposal: Proposal) -> dict[str, Any]:
    """The payload made safe for the template: every field present with the right shape, odd items dropped.

    >>> p = Proposal(kind="checkup", share_token="t" * 32, created_at=dt.datetime(2026, 11, 28),
    ...              expires_at=dt.datetime(2026, 12, 28), payload={"title": "体检", "sections": [
    ...              {"heading": "三笔钱", "rows": [["随时要用的钱", "5.00万"]]}, "junk"],
    ...              "charts": [{"name": "../x", "kind": "pie"}, {"name": "alloc", "title": "配置"}]})
    >>> v = view(p)
    >>> v["title"], v["kind_name"], [s["heading"] for s in v["sections"]], [c["name"] for c in v["charts"]]
    ('体检', '财富体检', ['三笔钱'], ['alloc'])
    >>> v["sections"][0]["rows"][0], v["charts"][0]["src"]
    ([('随时要用的钱', False), ('5.00万', True)], '/proposals/tttttttttttttttttttttttttttttttt/charts/alloc.png')
    """
    payload = proposal.payload if isinstance(proposal.payload, dict) else {}
    sections = []
    for section in payload.get("sections") or []:
        if not isinstance(section, dict):
            continue
        rows = [row for row in section.get("rows") or [] if isinstance(row, list)]
        columns = [str(c) for c in section["columns"]] if isinstance(section.get("columns"), list) else []
        if not columns:
            columns, rows = split_header(rows)
        rows = [[(cell, _is_number(cell)) for cell in row] for row in rows]
        sections.append({"heading": str(section.get("heading", "")), "rows": rows, "columns": columns,
                         "text": _texts(str(section.get("text", "")).split("\n"))})
    charts = [{"name": chart["name"], "title": str(chart.get("title", "")),
               "src": chart_path(proposal.share_token, chart["name"])}
              for chart in payload.get("charts") or []
              if isinstance(chart, dict) and isinstance(chart.get("name"), str) and CHART_NAME.match(chart["name"])]
    assumptions = [(str(pair[0]), str(pair[1])) for pair in payload.get("assumptions") or []
                   if isinstance(pair, list | tuple) and len(pair) == 2]
    products = [{key: str(product.get(key, "")) for key in ("code", "name", "risk_level", "category", "why")}
                for product in payload.get("products") or [] if isinstance(product, dict)]
    return {
        "title": str(payload.get("title") or KIND_NAMES.get(proposal.kind, "建议书")),
        "subject": str(payload.get("subject") or "访客"),
        "kind_name": KIND_NAMES.get(proposal.kind, "建议书"),
        "summary": _texts(payload.get("summary")),
        "sections": sections, "charts": charts, "assumptions": assumptions, "products": products,
        "risk_notice": str(payload.get("risk_notice") or "理财非存款，产品有风险，投资须谨慎。"),
        "created": _date(proposal.created_at), "expires": _date(proposal.expires_at),
    }


def _refused(request: Request, code: int) -> HTMLResponse:
    return templates.TemplateResponse(request, "refused.html", {"user": None, "message": MESSAGES[code]},
                                      status_code=code, headers=PAGE_HEADERS)


@router.get("/{token}", response_class=HTMLResponse, summary="A proposal page (no login: the token is the secret)",
            responses={404: {"description": "Unknown or malformed token"}, 410: {"description": "Link expired"}})
def proposal_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    try:
        proposal = find_proposal(session, token)
    except ProposalExpired:
        return _refused(request, status.HTTP_410_GONE)
    except ProposalNotFound:
        return _refused(request, status.HTTP_404_NOT_FOUND)
    return templates.TemplateResponse(request, "proposal.html", {"user": None, "p": view(proposal)},
                                      headers=PAGE_HEADERS)


def _proposal_review(session: Session, user: WebUser | None, token: str, benchmark: str | None) -> PushReview | None:
    """The proposal's 效果回检 for a signed-in viewer who may see its client, else None."""
    try:
        return proposal_review(session, identity_of(user), token, clock.today(), benchmark)
    except (ProposalNotReviewable, ValueError):
        return None


@router.get("/{token}/review", response_class=HTMLResponse,
            summary="效果回检 of a proposal: what its client bought of it since (signed-in staff or the client)",
            responses={404: {"description": "Unknown token, or not visible to the viewer"}})
def proposal_review_page(token: str, request: Request, user: MaybeUser, session: SessionDep,
                         benchmark: BenchmarkQuery = None) -> HTMLResponse:
    """Works after the proposal's link has expired: the review is the point of looking back."""
    review = _proposal_review(session, user, token, benchmark) if len(token) <= 64 else None
    if review is None:
        return templates.TemplateResponse(request, "refused.html", {
            "user": user, "message": "没有找到这份建议书的效果回检，或您无权查看这位客户。"},
            status_code=status.HTTP_404_NOT_FOUND, headers=PAGE_HEADERS)
    return templates.TemplateResponse(request, "proposal_review.html", {
        "user": user, "title": review.portfolio_name, "advisor": review.advisor_name,
        "review": review_context(review, token, benchmark, "proposal", f"/proposals/{token}")},
        headers=PAGE_HEADERS)


@router.get("/{token}/review.png", summary="效果回检 chart of a proposal (PNG), for who may see its client",
            response_class=Response, responses={200: {"content": {"image/png": {}}}, 404: {"description": "No data"}})
def proposal_review_chart(token: str, user: MaybeUser, session: SessionDep,
                          benchmark: BenchmarkQuery = None) -> Response:
    return chart_png(_proposal_review(session, user, token, benchmark) if len(token) <= 64 else None, "proposal")


@lru_cache(maxsize=128)
def _png(chart_json: str) -> bytes:
    """Rendered charts by their JSON (a proposal never changes after it is made)."""
    return render(json.loads(chart_json))


@router.get("/{token}/charts/{name}.png", summary="One chart of a proposal as a PNG image",
            response_class=Response, responses={200: {"content": {"image/png": {}}},
                                                404: {"description": "Unknown token or chart"},
                                                410: {"description": "Link expired"}})
def proposal_chart(token: str, name: str, request: Request, session: SessionDep) -> Response:
    def text(code: int, message: str) -> Response:
        return Response(message, status_code=code, media_type="text/plain; charset=utf-8", headers=PAGE_HEADERS)

    try:
        proposal = find_proposal(session, token)
    except ProposalExpired:
        return text(status.HTTP_410_GONE, MESSAGES[status.HTTP_410_GONE])
    except ProposalNotFound:
        return text(status.HTTP_404_NOT_FOUND, MESSAGES[status.HTTP_404_NOT_FOUND])
    payload = proposal.payload if isinstance(proposal.payload, dict) else {}
    charts = payload.get("charts") or []
    chart = next((c for c in charts if isinstance(c, dict) and c.get("name") == name), None)
    if chart is None or not CHART_NAME.match(name):
        return text(status.HTTP_404_NOT_FOUND, "这份建议书里没有这张图表。")
    chart_json = json.dumps(chart, ensure_ascii=False)  # key order kept: it orders series and legends
    etag = '"' + hashlib.sha256(chart_json.encode("utf-8")).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={**CHART_HEADERS, "ETag": etag})
    try:
        png = _png(chart_json)
    except ChartDataError:
        log.exception("proposal %s: chart %s cannot be drawn", proposal.id, name)
        return text(status.HTTP_500_INTERNAL_SERVER_ERROR, "这张图表暂时无法显示。")
    return Response(png, media_type="image/png", headers={**CHART_HEADERS, "ETag": etag})

"""效果回检 on the push page: how a push has done since it was made (services/after_sale.py), and its chart.

Only for a signed-in viewer who may see the push's client (bank/access.py): the client their own result, the
advisor their own clients of the batch, the manager the team's. Anyone else — the page is reachable by its
unguessable link without sign-in — sees no section, and the chart answers 404. `?benchmark=` picks the benchmark
(level, csi300, bond or a product code); otherwise the setting AFTER_SALE_BENCHMARK.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bank.directory import Identity
from calc import clock
from calc.money import fmt_pct, fmt_yuan
from charts.render import render
from services.after_sale import BENCHMARKS, Figures, OrderBasis, PushReview, push_review
from services.pushes import PushNotFound
from web.deps import SessionDep
from web.identity import MaybeUser, WebUser

router = APIRouter(tags=["portfolios"])
PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
BenchmarkQuery = Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z0-9]+$",
                                             description="level, csi300, bond or a product code")]


def identity_of(user: WebUser | None) -> Identity | None:
    """The bank identity of a signed-in advisor, manager or client (None for anyone else)."""
    if user is None or user.role not in ("advisor", "manager", "client"):
        return None
    return Identity(user.sender_id, user.role, user.name, user.staff_id, user.client_id, user.team_name)


def load_review(session: Session, user: WebUser | None, task_id: str, benchmark: str | None) -> PushReview | None:
    """The review the viewer may see, or None (not signed in, not in their scope, or an unknown benchmark)."""
    viewer = identity_of(user)
    if viewer is None:
        return None
    try:
        return push_review(session, viewer, task_id, clock.today(), benchmark)
    except (PushNotFound, ValueError):
        return None


def _pct(value: float | None) -> str:
    return "—" if value is None else fmt_pct(value)


def figure_row(label: str, figures: Figures | None) -> list[str]:
    """One row of the figures table: label, return, max drawdown, annualised (— when under a year).

    >>> figure_row("推送组合", Figures(0.0123, -0.0045, None))
    ['推送组合', '1.23%', '-0.45%', '—']
    """
    if figures is None:
        return [label, "—", "—", "—"]
    return [label, _pct(figures.total_return), _pct(figures.max_drawdown), _pct(figures.annualized_return)]


def order_deal(order: OrderBasis) -> str:
    """What a settled fund order bought (units to 2 decimals × the NAV of its trade date), else its trade date.

    >>> import datetime as dt
    >>> from decimal import Decimal
    >>> order_deal(OrderBasis("债券A", "BF003", Decimal("12500"), "filled", Decimal("5960.2000"), Decimal("2.0806"),
    ...                       dt.date(2026, 11, 2), "成交份额"))
    '5,960.20份×2.0806（11-02）'
    >>> order_deal(OrderBasis("理财", "WM366", Decimal("15000"), "pending", None, None, None, "按预期收益中值计息"))
    '未成交'
    """
    day = f"（{order.trade_date:%m-%d}）" if order.trade_date else ""
    if order.units is not None and order.nav is not None:
        return f"{order.units:,.2f}份×{order.nav}{day}"
    return f"{order.trade_date:%m-%d}成交" if order.trade_date else "未成交"


WORDS = {
    "push": {"sold": "推送组合（实际成交）", "before": "推送前持仓", "since": "推送",
             "meta": "推送{pushed}位，确认{confirmed}位", "none": "还没有客户确认购买，下面只列出同期业绩基准。"},
    "proposal": {"sold": "建议后成交", "before": "建议前持仓", "since": "建议",
                 "meta": "推荐{pushed}只产品，建议有效期内成交{confirmed}笔",
                 "none": "建议有效期内还没有成交推荐的产品，下面只列出同期业绩基准。"},
}
"""How _after_sale.html names things for a push and for a proposal."""


def review_context(review: PushReview | None, task_id: str, benchmark: str | None, kind: str = "push",
                   chart_base: str | None = None) -> dict[str, Any] | None:
    """What the 效果回检 section (_after_sale.html) prints: money in yuan to the fen, rates as percentages."""
    if review is None:
        return None
    words = WORDS[kind]
    query = f"?{urlencode({'benchmark': benchmark})}" if benchmark else ""
    base = chart_base or f"/pushes/{task_id}"
    return {
        "period": f"{review.start:%Y-%m-%d}至{review.end:%Y-%m-%d}", "kind": kind, "words": words,
        "meta": words["meta"].format(pushed=review.pushed, confirmed=review.confirmed),
        "pushed": review.pushed, "confirmed": review.confirmed,
        "invested": fmt_yuan(float(review.invested)), "value": fmt_yuan(float(review.value)),
        "profit": fmt_yuan(float(review.profit)), "benchmark_name": review.benchmark_name,
        "rows": [figure_row(words["sold"], review.total),
                 figure_row(f"业绩基准：{review.benchmark_name}", review.benchmark),
                 figure_row(f"{words['before']}（不变）", review.before)],
        "excess": _pct(review.total.total_return - review.benchmark.total_return)
        if review.total and review.benchmark else None,
        "clients": [{"name": c.client_name, "invested": fmt_yuan(float(c.invested)), "value": fmt_yuan(float(c.value)),
                     "return": _pct(c.figures.total_return), "drawdown": _pct(c.figures.max_drawdown),
                     "before": _pct(c.before.total_return) if c.before else "—",
                     "orders": [{"name": o.product, "amount": fmt_yuan(float(o.amount)), "basis": o.basis,
                                 "deal": order_deal(o)} for o in c.orders]}
                    for c in review.clients],
        "chart": f"{base}/review.png{query}" if len(review.dates) > 1 and review.path else None,
        "choices": [(key, name, key == (benchmark or "")) for key, name in BENCHMARKS.items()],
    }


def chart_series(review: PushReview, kind: str = "push") -> dict[str, list[float]]:
    """Cumulative returns (fractions) since the push (or proposal) of what was sold, the benchmark and the
    holdings before."""
    words = WORDS[kind]
    series = {"推送组合" if kind == "push" else words["sold"]: [v - 1 for v in review.path]}
    if review.benchmark_path:
        series[f"基准：{review.benchmark_name}"] = [v - 1 for v in review.benchmark_path]
    if review.before_path:
        series[words["before"]] = [v - 1 for v in review.before_path]
    return series


def chart_png(review: PushReview | None, kind: str = "push") -> Response:
    """The 效果回检 chart as a PNG, or 404 without data."""
    if review is None or len(review.dates) < 2 or not review.path:
        return Response("暂无效果回检数据。", status_code=404, media_type="text/plain; charset=utf-8", headers=PRIVATE)
    series = tuple((name, tuple(values)) for name, values in chart_series(review, kind).items())
    png = _png(f"{review.portfolio_name}{WORDS[kind]['since']}以来累计收益", tuple(review.dates), series)
    return Response(png, media_type="image/png", headers=PRIVATE)


@lru_cache(maxsize=32)
def _png(title: str, dates: tuple[str, ...], series: tuple[tuple[str, tuple[float, ...]], ...]) -> bytes:
    return render({"name": "after_sale", "kind": "line", "title": title,
                   "data": {"x": list(dates), "series": {k: list(v) for k, v in series}, "format": "percent"}})


@router.get("/pushes/{task_id}/review.png", summary="效果回检 chart of a push (PNG), for who may see its client",
            response_class=Response, responses={200: {"content": {"image/png": {}}}, 404: {"description": "No data"}})
def review_chart(task_id: str, user: MaybeUser, session: SessionDep, benchmark: BenchmarkQuery = None) -> Response:
    return chart_png(load_review(session, user, task_id, benchmark))

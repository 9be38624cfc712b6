""""上个月推的稳健组合表现怎么样": the 售后检视 of the pushes an advisor (or a manager's team) made in a period, of
one model portfolio (every version) or of everything pushed, followed to today (services/after_sale.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import can_see_client
from bank.models import Identity, ModelPortfolio, PortfolioPush, Staff
from calc.money import fmt_pct, fmt_wan
from lexicon.periods import Period, PeriodParseError, parse_period
from services.after_sale import PushReview, review_pushes
from services.portfolios import portfolio_named_in

DEFAULT_DAYS = 30
"""With no period named, the pushes of the last 30 days."""
MAX_BATCHES = 5


@dataclass(frozen=True)
class PushReviews:
    """The batches found (newest first, at most MAX_BATCHES reviewed) and what was asked."""

    portfolio: str | None
    period: Period
    reviews: list[tuple[str, PushReview]]  # (task id of the batch's first push, its review)
    more: int  # batches found beyond MAX_BATCHES


def asked_period(text: str, today: dt.date) -> Period:
    """The period a question names (looking back), else the last DEFAULT_DAYS days.

    >>> asked_period("上个月推的稳健组合表现怎么样", dt.date(2026, 12, 1)).label_zh
    '上月'
    >>> asked_period("推过的组合怎么样了", dt.date(2026, 12, 1)).start
    datetime.date(2026, 11, 1)
    """
    try:
        return parse_period(text, today, past=True)
    except PeriodParseError:
        return Period(today - dt.timedelta(days=DEFAULT_DAYS), today, f"近{DEFAULT_DAYS}天")


def staff_scope(session: Session, viewer: Identity) -> list[int]:
    """Whose pushes a staff member reviews: an advisor their own, a manager their team's."""
    assert viewer.staff_id is not None
    if viewer.role != "manager":
        return [viewer.staff_id]
    me = session.get(Staff, viewer.staff_id)
    assert me is not None
    return list(session.scalars(select(Staff.id).where(Staff.team_id == me.team_id)))


def reviews_asked(session: Session, viewer: Identity, text: str, today: dt.date,
                  benchmark: str | None = None) -> PushReviews:
    """The 售后检视 of the pushes the question is about (see the module doc); PermissionError for a client."""
    if viewer.role not in ("advisor", "manager") or viewer.staff_id is None:
        raise PermissionError("after-sale reviews are for staff")
    period = asked_period(text, today)
    named = portfolio_named_in(session, text)
    lo = dt.datetime.combine(period.start, dt.time())
    hi = dt.datetime.combine(min(period.end, today) + dt.timedelta(days=1), dt.time())
    query = (select(PortfolioPush).join(ModelPortfolio, ModelPortfolio.id == PortfolioPush.portfolio_id)
             .where(PortfolioPush.advisor_id.in_(staff_scope(session, viewer)),
                    PortfolioPush.created_at >= lo, PortfolioPush.created_at < hi)
             .order_by(PortfolioPush.created_at.desc(), PortfolioPush.id))
    if named is not None:
        query = query.where(ModelPortfolio.name == named.name, ModelPortfolio.kind == "model")
    batches: dict[tuple[int, int, dt.datetime], list[PortfolioPush]] = defaultdict(list)
    for push in session.scalars(query):
        if can_see_client(session, viewer, push.client_id):
            batches[(push.advisor_id, push.portfolio_id, push.created_at)].append(push)
    ordered = list(batches.values())
    reviews = [(batch[0].task_id, review_pushes(session, sorted(batch, key=lambda p: p.id), today, benchmark))
               for batch in ordered[:MAX_BATCHES]]
    return PushReviews(named.name if named else None, period, reviews, max(0, len(ordered) - MAX_BATCHES))


def review_line(review: PushReview, with_advisor: bool = False) -> str:
    """One batch in a line a phone shows whole."""
    who = f"{review.advisor_name}于" if with_advisor else ""
    head = (f"· {who}{review.start.month}月{review.start.day}日推{review.portfolio_name}给{review.pushed}位客户，"
            f"{review.confirmed}位确认")
    if review.total is None:
        return head + "，暂无成交。"
    line = (f"{head}，投入{fmt_wan(float(review.invested))}，至今{fmt_pct(review.total.total_return)}"
            f"（最大回撤{fmt_pct(review.total.max_drawdown)}）")
    if review.benchmark is not None:
        gap = review.total.total_return - review.benchmark.total_return
        line += f"；{review.benchmark_name}同期{fmt_pct(review.benchmark.total_return)}，{'跑赢' if gap >= 0 else '落后'}{fmt_pct(abs(gap))}"
    if review.before is not None:
        line += f"；客户原持仓同期{fmt_pct(review.before.total_return)}"
    return line + "。"

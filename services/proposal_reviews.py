"""效果回检 of a proposal: what its client really bought of the products it recommended, followed from the day it
was made (services/after_sale.py does the valuing, calc/performance the figures).

What counts as sold from a proposal: the client's live orders of a product the proposal recommended, placed
while the proposal was valid (from its creation to its expiry). The same review shape as a push's, so the pages
and the dashboard read both alike; `pushed` is the number of products recommended and `confirmed` the number of
orders that followed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import can_see_client
from bank.models import Client, Identity, Order, Product, Proposal, Staff
from services.after_sale import (
    LIVE,
    Navs,
    PushReview,
    benchmark_path,
    figures,
    orders_review,
    review_grid,
)

PROPOSAL_TITLES = {"checkup": "财富体检建议书", "plan_investment": "投资规划", "plan_pension": "养老规划",
                   "plan_retirement": "退休规划", "plan_simulation": "模拟规划"}


class ProposalNotReviewable(LookupError):
    """No proposal has this token, it has no client, or the viewer may not see its client."""


def recommended_codes(proposal: Proposal) -> list[str]:
    """The product codes a proposal recommended, in its order.

    >>> recommended_codes(Proposal(payload={"products": [{"code": "BF001"}, {"code": "CM001"}, {"name": "x"}]}))
    ['BF001', 'CM001']
    """
    return [str(p["code"]) for p in (proposal.payload or {}).get("products") or [] if isinstance(p, dict) and p.get("code")]


def followed_orders(session: Session, proposal: Proposal) -> list[tuple[Order, Product]]:
    """The client's live orders of the recommended products placed while the proposal was valid."""
    codes = recommended_codes(proposal)
    if proposal.client_id is None or not codes:
        return []
    rows = session.execute(select(Order, Product).join(Product, Product.id == Order.product_id).where(
        Order.client_id == proposal.client_id, Product.code.in_(codes), Order.status.in_(LIVE),
        Order.created_at >= proposal.created_at, Order.created_at <= proposal.expires_at).order_by(Order.id)).all()
    return [(order, product) for order, product in rows]


def proposal_review(session: Session, viewer: Identity | None, token: str, today: dt.date,
                    benchmark: str | None = None) -> PushReview:
    """The 效果回检 of the proposal `token` for a viewer who may see its client (the client themself, their
    advisor, the team's manager). Raises ProposalNotReviewable otherwise; ValueError for an unknown benchmark."""
    proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).first()
    if proposal is None or proposal.client_id is None or viewer is None \
            or not can_see_client(session, viewer, proposal.client_id):
        raise ProposalNotReviewable(token)
    client = session.get(Client, proposal.client_id)
    assert client is not None
    start = proposal.created_at.date()
    grid = review_grid(start, max(today, start))
    navs = Navs(session, grid)
    rows = followed_orders(session, proposal)
    codes = recommended_codes(proposal)
    risks = session.scalars(select(Product.risk_level).where(Product.code.in_(codes))).all()
    risk = max(risks, default="R1")
    review = orders_review(session, rows, client, navs)
    days = (grid[-1] - grid[0]).days
    bench, bench_name = benchmark_path(session, benchmark, risk, grid, navs)
    advisor = session.get(Staff, proposal.created_by_id) if proposal.created_by_id else None
    title = PROPOSAL_TITLES.get(proposal.kind, "建议书")
    return PushReview(
        f"{title}推荐产品", risk, advisor.name if advisor else "", start, grid[-1].date(), len(codes), len(rows),
        review.invested if review else Decimal(0), review.value if review else Decimal(0),
        [d.date().isoformat() for d in grid], review.figures if review else None, review.path if review else [],
        bench_name, figures(bench, days) if bench is not None else None,
        [round(float(v), 8) for v in bench] if bench is not None else [],
        review.before if review else None, review.before_path if review else None,
        [review] if review else [])


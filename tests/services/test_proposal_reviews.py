"""效果回检 of a proposal (services/proposal_reviews.py): only the recommended products its client bought while it
was valid count, valued exactly as a push's orders are; only those who may see the client get it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, NavPoint, Product, Proposal
from services.advisor_proposals import client_proposal
from services.after_sale import Navs, orders_review, review_grid
from services.proposal_reviews import (
    ProposalNotReviewable,
    followed_orders,
    proposal_review,
    recommended_codes,
)
from services.push_decisions import confirm_push
from services.push_products import product_portfolio
from services.pushes import push_portfolio
from services.settings import Settings
from services.settlement import settle_orders
from tests.services.push_cast import NOW, Cast

MONDAY = dt.datetime(2026, 11, 30, 10, 0)
SETTLED = dt.datetime(2026, 12, 2, 21, 0)
REVIEWED = dt.date(2026, 12, 2)


def buy(bank_url: str, cast: Cast, client: int, code: str, amount: str, at: dt.datetime) -> None:
    """Push one product to the client and have them confirm it at `at`."""
    with session_scope(bank_url) as s:
        product = s.scalars(select(Product).where(Product.code == code)).one()
        portfolio = product_portfolio(s, [product], [1.0], cast.advisor.staff_id)
        task = push_portfolio(s, cast.advisor, portfolio.id, [client], Decimal(amount), NOW).sent[0].task_id
    with session_scope(bank_url) as s:
        assert confirm_push(s, task, client, at).status == "confirmed"


@pytest.fixture
def proposal(bank_url: str, cast: Cast) -> tuple[str, list[str]]:
    """A check-up proposal for the cast's first client made on NOW, valid 30 days; (token, recommended codes)."""
    with session_scope(bank_url) as s:
        made = client_proposal(s, cast.advisor, cast.suitable[0], "checkup", NOW.date())
        row = s.scalars(select(Proposal).where(Proposal.share_token == made.token)).one()
        row.created_at, row.expires_at = NOW, NOW + dt.timedelta(days=30)
        codes = recommended_codes(row)
    assert codes, "the check-up recommended nothing for a C3 client"
    return made.token, codes


def test_only_what_followed_the_proposal_counts(bank_url: str, cast: Cast, proposal: tuple[str, list[str]]) -> None:
    token, codes = proposal
    client = cast.suitable[0]
    buy(bank_url, cast, client, codes[0], "20000", MONDAY)
    other = next(c for c in ("CM002", "WM030", "BF006") if c not in codes)
    buy(bank_url, cast, client, other, "10000", MONDAY)  # not recommended: not sold from the proposal
    with session_scope(bank_url) as s:
        for product in s.scalars(select(Product).where(Product.code.in_([codes[0], other]))):
            s.add(NavPoint(product_id=product.id, date=MONDAY.date(), nav=Decimal("1.2345")))
    settle_orders(SETTLED, Settings(), bank_url)
    with session_scope(bank_url) as s:
        row = s.scalars(select(Proposal).where(Proposal.share_token == token)).one()
        followed = followed_orders(s, row)
        assert [p.code for _, p in followed] == [codes[0]]
        review = proposal_review(s, cast.advisor, token, REVIEWED)
        assert (review.pushed, review.confirmed, review.invested) == (len(codes), 1, Decimal("20000.00"))
        grid = review_grid(NOW.date(), REVIEWED)
        alone = orders_review(s, followed, s.get(Client, client), Navs(s, grid))
        assert alone is not None and review.total == alone.figures and review.value == alone.value
        assert review.benchmark is not None and review.portfolio_name == "财富体检建议书推荐产品"
        manager = who_is(s, "chenjing")
        assert proposal_review(s, manager, token, REVIEWED).confirmed == 1
        with pytest.raises(ProposalNotReviewable):
            proposal_review(s, who_is(s, "liqiang"), token, REVIEWED)
        with pytest.raises(ProposalNotReviewable):
            proposal_review(s, None, token, REVIEWED)
        with pytest.raises(ProposalNotReviewable):
            proposal_review(s, cast.advisor, "no-such-token", REVIEWED)


def test_an_order_after_the_proposal_expired_does_not_count(bank_url: str, cast: Cast,
                                                             proposal: tuple[str, list[str]]) -> None:
    token, codes = proposal
    with session_scope(bank_url) as s:
        row = s.scalars(select(Proposal).where(Proposal.share_token == token)).one()
        row.expires_at = NOW + dt.timedelta(days=1)  # expired before the client bought
    buy(bank_url, cast, cast.suitable[0], codes[0], "20000", MONDAY)
    with session_scope(bank_url) as s:
        review = proposal_review(s, cast.advisor, token, REVIEWED)
        assert review.confirmed == 0 and review.total is None and review.clients == []

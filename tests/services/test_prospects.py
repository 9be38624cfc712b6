"""Prospects are always suitable, in scope, ordered by score, and skipped clients are counted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import can_see_client, visible_clients
from bank.directory import Identity
from bank.models import Client, ModelPortfolio, Product
from calc.risk import assessment_expired, level_rank
from services.prospects import (
    UnknownProduct,
    portfolio_requirements,
    prospects_by_assets,
    prospects_for_portfolio,
    prospects_for_product,
)
from tests.demo_staff import TODAY


@pytest.fixture(scope="module")
def session(shared_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return shared_session


def _check_suitable_and_ordered(session: Session, viewer: Identity, result, risk_level: str) -> None:  # type: ignore[no-untyped-def]
    clients = {c.id: c for c in session.execute(visible_clients(session, viewer)).scalars()}
    assert result.items
    for p in result.items:
        client = clients[p.client_id]
        assert not assessment_expired(client.risk_assessed_on, TODAY)
        assert level_rank(client.risk_level) >= level_rank(risk_level)  # type: ignore[operator]
        assert p.score == p.idle_cash + p.maturing_30d
        assert p.reason and p.client_id in clients
    scores = [p.score for p in result.items]
    assert scores == sorted(scores, reverse=True)
    unassessed = sum(1 for c in clients.values() if c.risk_level is None or assessment_expired(c.risk_assessed_on, TODAY))
    assert result.skipped_unassessed == unassessed


@pytest.mark.parametrize("code", ["EF001", "MF002", "BF001", "QD002"])
def test_product_prospects_are_suitable_and_ranked(session: Session, manager: Identity, code: str) -> None:
    product = session.execute(select(Product).where(Product.code == code)).scalar_one()
    result = prospects_for_product(session, manager, code, TODAY, limit=50)
    _check_suitable_and_ordered(session, manager, result, product.risk_level)
    visible = session.execute(visible_clients(session, manager)).scalars().all()
    suitable = [c for c in visible if c.risk_level and not assessment_expired(c.risk_assessed_on, TODAY)
                and level_rank(c.risk_level) >= level_rank(product.risk_level)]  # type: ignore[operator]
    assert result.skipped_unsuitable == len(visible) - len(suitable) - result.skipped_unassessed
    assert len(result.items) == min(50, len(suitable))


def test_high_risk_product_skips_conservative_clients(session: Session, advisor_a: Identity) -> None:
    result = prospects_for_product(session, advisor_a, "QD002", TODAY)
    assert result.skipped_unsuitable > 0
    assert all(p.risk_level == "C5" for p in result.items)


def test_prospects_stay_in_scope(session: Session, advisor_a: Identity, unknown: Identity) -> None:
    result = prospects_for_product(session, advisor_a, "BF001", TODAY, limit=100)
    assert all(can_see_client(session, advisor_a, p.client_id) for p in result.items)
    assert prospects_for_product(session, unknown, "BF001", TODAY).items == []


def test_unknown_product_is_named(session: Session, advisor_a: Identity) -> None:
    with pytest.raises(UnknownProduct, match="NOPE"):
        prospects_for_product(session, advisor_a, "NOPE", TODAY)
    with pytest.raises(UnknownProduct):
        prospects_for_portfolio(session, advisor_a, "不存在组合", TODAY)


@pytest.mark.parametrize("name", ["稳健组合", "平衡组合", "进取组合"])
def test_portfolio_prospects_use_the_riskiest_item(session: Session, manager: Identity, name: str) -> None:
    portfolio = session.execute(select(ModelPortfolio).where(ModelPortfolio.name == name, ModelPortfolio.superseded_at.is_(None))).scalar_one()
    highest, minimum = portfolio_requirements(portfolio)
    assert all(level_rank(i.product.risk_level) <= level_rank(highest) for i in portfolio.items)  # type: ignore[operator]
    assert minimum >= max(i.product.min_amount for i in portfolio.items)
    by_name = prospects_for_portfolio(session, manager, name, TODAY, limit=30)
    by_id = prospects_for_portfolio(session, manager, portfolio.id, TODAY, limit=30)
    assert [p.client_id for p in by_name.items] == [p.client_id for p in by_id.items]
    _check_suitable_and_ordered(session, manager, by_name, highest)


def test_asset_tiers_closest_below_first(session: Session, advisor_a: Identity) -> None:
    tiers = (50_000, 500_000, 6_000_000)
    result = prospects_by_assets(session, advisor_a, TODAY, tiers=tiers, limit=20)
    assert result.items
    shares = []
    for p in result.items:
        tier = next(Decimal(t) for t in tiers if p.total_assets < t)
        assert p.gap == tier - p.total_assets and p.gap > 0
        assert f"{p.gap:.2f}" in p.reason
        shares.append(p.gap / tier)
    assert shares == sorted(shares)
    rich = session.execute(select(Client.id).where(Client.advisor_id == advisor_a.staff_id)).scalars().all()
    assert len(result.items) <= len(rich)

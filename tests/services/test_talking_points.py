"""services.talking_points: three points per profile in priority order, and prospects by allocation and by rewards."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.clients import ClientProfile, ContactLine, HoldingLine, client_profile
from bank.directory import Identity
from bank.models import Client
from services.talking_points import (
    FILLERS,
    POT_POINTS,
    largest_gap,
    profile_checkup,
    prospects_by_allocation,
    prospects_by_rewards,
    talking_points,
)
from tests.demo_staff import TODAY


@pytest.fixture
def session(scratch_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return scratch_session


def bare_profile(**changes: object) -> ClientProfile:
    base = ClientProfile(
        id=1, name="张伟", gender="男", age=40, occupation="教师", life_stage="其他", advisor_name="张敏",
        risk_level="C3", risk_assessed_on=dt.date(2026, 6, 1), risk_expired=False, monthly_income=Decimal(20000),
        monthly_expenses=Decimal(8000), dependants=1, phone_masked="138****1234", id_number_masked=None,
        total_assets=Decimal(0), assets_by_category={},
        last_contacts=[ContactLine("电访", dt.datetime(2026, 11, 20, 9), "聊了养老", None)])
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class TestTalkingPoints:
    def test_always_three_even_with_little_to_say(self) -> None:
        assert talking_points(bare_profile(), TODAY) == list(FILLERS)

    def test_expired_assessment_comes_first_then_maturity_then_next_step(self) -> None:
        maturity = HoldingLine("W1", "稳利120天理财", "理财", Decimal("100000.00"), dt.date(2026, 12, 6))
        profile = bare_profile(risk_expired=True, risk_assessed_on=dt.date(2025, 1, 2), upcoming_maturities=[maturity],
                               last_contacts=[ContactLine("面访", dt.datetime(2026, 11, 20), "x", "下周送资料")])
        points = talking_points(profile, TODAY)
        assert len(points) == 3
        assert "已过期" in points[0] and "2025-01-02" in points[0]
        assert "稳利120天理财" in points[1] and "12月06日" in points[1] and "100,000.00元" in points[1]
        assert points[2] == "跟进上次面访约定：下周送资料"

    def test_unassessed_and_never_contacted(self) -> None:
        points = talking_points(bare_profile(risk_level=None, risk_assessed_on=None, last_contacts=[]), TODAY)
        assert "风险测评" in points[0] and "电访" in points[1]

    def test_real_client_gets_the_pot_gap(self, session: Session, zhangmin: Identity) -> None:
        profile = client_profile(session, zhangmin, 28, TODAY)
        checkup = profile_checkup(session, 28, TODAY)
        gap = largest_gap(checkup)
        assert gap is not None
        points = talking_points(profile, TODAY, checkup)
        assert len(points) == 3 and POT_POINTS[gap] in points


class TestProspectsByAllocation:
    def test_own_clients_only_with_a_shortfall_largest_first(self, session: Session, zhangmin: Identity) -> None:
        found = prospects_by_allocation(session, zhangmin, TODAY, limit=50)
        own = set(session.scalars(select(Client.id).where(Client.advisor_id == zhangmin.staff_id)))
        assert found.items and {p.client_id for p in found.items} <= own
        assert all(p.gap > 0 and "缺口最大" in p.reason for p in found.items)
        shares = [p.score for p in found.items]
        assert shares == sorted(shares, reverse=True)

    def test_unknown_viewer_gets_nobody(self, session: Session) -> None:
        assert prospects_by_allocation(session, None, TODAY).items == []


class TestProspectsByRewards:
    def test_near_the_next_tier_or_due_a_welcome_back(self, session: Session, zhangmin: Identity) -> None:
        found = prospects_by_rewards(session, zhangmin, TODAY, limit=50)
        assert found.items
        for p in found.items:
            near = "即可升级" in p.reason
            assert near or "回归礼遇" in p.reason
            if near:
                assert p.total_assets + p.gap in (Decimal(50_000), Decimal(500_000), Decimal(6_000_000))
        tier_gaps = [p.gap / (p.total_assets + p.gap) for p in found.items if "即可升级" in p.reason]
        assert tier_gaps == sorted(tier_gaps) and all(g <= Decimal("0.2") for g in tier_gaps)

    def test_another_advisors_clients_never_appear(self, session: Session, zhangmin: Identity,
                                                   liqiang: Identity) -> None:
        theirs = set(session.scalars(select(Client.id).where(Client.advisor_id == liqiang.staff_id)))
        assert not {p.client_id for p in prospects_by_rewards(session, zhangmin, TODAY, limit=500).items} & theirs

"""Maturity calendar: grouped by date, inside the period, in scope, with suggestions that never exceed the client."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import can_see_client
from bank.directory import Identity
from bank.models import Client, Holding, Product
from calc.risk import assessment_expired, level_rank
from lexicon.periods import parse_period
from services.maturities import maturities, suggest_reinvestment
from tests.demo_staff import TODAY


@pytest.fixture(scope="module")
def session(shared_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return shared_session


def test_grouped_by_date_within_period_and_scope(session: Session, advisor_a: Identity) -> None:
    period = parse_period("下个月", TODAY)
    days = maturities(session, advisor_a, period.start, period.end, TODAY)
    assert days
    dates = [d.date for d in days]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert all(period.start <= d <= period.end for d in dates)
    expected = session.execute(
        select(Holding.id).join(Client).where(
            Client.advisor_id == advisor_a.staff_id, Holding.maturity_date.between(period.start, period.end))
    ).all()
    assert sum(len(d.items) for d in days) == len(expected)
    for day in days:
        assert day.items and day.total == sum(i.amount for i in day.items)
        assert all(can_see_client(session, advisor_a, i.client_id) for i in day.items)
        assert all(i.phone_tail.startswith("尾号") or i.phone_tail == "无手机号" for i in day.items)


def test_unknown_viewer_gets_an_empty_calendar(session: Session, unknown: Identity) -> None:
    assert maturities(session, unknown, TODAY, TODAY + dt.timedelta(days=365)) == []


def test_suggestions_never_exceed_client_level(session: Session, manager: Identity) -> None:
    """Property over every client with a maturity in the next year of the manager's team."""
    days = maturities(session, manager, TODAY, TODAY + dt.timedelta(days=365), TODAY)
    levels = dict(session.execute(select(Client.id, Client.risk_assessed_on)).all())
    items = [i for d in days for i in d.items]
    assert len(items) > 50
    suggested = 0
    for item in items:
        if item.suggestion is None:
            continue
        suggested += 1
        assert item.client_risk_level is not None
        assert not assessment_expired(levels[item.client_id], TODAY)
        assert level_rank(item.suggestion.risk_level) <= level_rank(item.client_risk_level)  # type: ignore[operator]
    assert suggested > len(items) // 2


def test_suggest_reinvestment_prefers_same_category_and_fits(session: Session) -> None:
    products = session.execute(select(Product)).scalars().all()
    wmp = next(p for p in products if p.code == "WM180")
    for level in ("C1", "C2", "C3", "C4", "C5"):
        pick = suggest_reinvestment(session, level, wmp)
        assert pick is not None and pick.on_sale
        assert level_rank(pick.risk_level) <= level_rank(level)  # type: ignore[operator]
    same = suggest_reinvestment(session, "C3", wmp)
    assert same is not None and same.category == "wmp" and same.term_days == 180
    assert suggest_reinvestment(session, None, wmp) is None
    assert suggest_reinvestment(session, "bogus", wmp) is None
    for p in products:
        for level in ("C1", "C3", "C5"):
            pick = suggest_reinvestment(session, level, p)
            if pick is not None:
                assert level_rank(pick.risk_level) <= level_rank(level)  # type: ignore[operator]


def test_client_viewer_sees_only_their_own_maturities(session: Session) -> None:
    row = session.execute(
        select(Client.id).join(Holding).where(Holding.maturity_date >= TODAY).order_by(Client.id)
    ).first()
    assert row is not None
    me = Identity("me", "client", "本人", None, row[0], None)
    days = maturities(session, me, TODAY, TODAY + dt.timedelta(days=3650), TODAY)
    assert days and {i.client_id for d in days for i in d.items} == {row[0]}

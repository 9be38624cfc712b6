"""Name search with namesakes, and profiles that never carry raw personal data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.clients import client_profile, find_clients
from bank.directory import Identity
from bank.masking import mask_phone
from bank.models import CATEGORY_NAMES, Client
from tests.demo_staff import TODAY


@pytest.fixture(scope="module")
def session(shared_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return shared_session


def test_namesakes_are_all_listed_with_different_tails(session: Session, advisor_a: Identity) -> None:
    matches = find_clients(session, advisor_a, "张伟", TODAY)
    assert len(matches) >= 2 and all(m.exact and m.name == "张伟" for m in matches)
    assert len({m.phone_tail for m in matches}) == len(matches)
    assert all(m.phone_tail.startswith("尾号") and len(m.phone_tail) == 6 for m in matches)
    assert {m.advisor_name for m in matches} == {advisor_a.name}


def test_namesake_of_another_advisor_is_not_returned(
    session: Session, advisor_a: Identity, advisor_b: Identity
) -> None:
    theirs = {m.id for m in find_clients(session, advisor_b, "张伟", TODAY)}
    mine = {m.id for m in find_clients(session, advisor_a, "张伟", TODAY)}
    assert theirs and mine and not (theirs & mine)
    all_zhangwei = set(session.execute(select(Client.id).where(Client.name == "张伟")).scalars())
    assert mine < all_zhangwei


def test_partial_name_falls_back_to_prefix_and_contains(session: Session, advisor_a: Identity) -> None:
    matches = find_clients(session, advisor_a, "张", TODAY)
    assert matches and all("张" in m.name and not m.exact for m in matches)
    first_non_prefix = next((i for i, m in enumerate(matches) if not m.name.startswith("张")), len(matches))
    assert all(m.name.startswith("张") for m in matches[:first_non_prefix])
    assert find_clients(session, advisor_a, "不存在的名字", TODAY) == []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_profile_never_carries_raw_phone_or_id(session: Session, advisor_a: Identity) -> None:
    clients = session.execute(select(Client).where(Client.advisor_id == advisor_a.staff_id)).scalars().all()
    assert clients
    for client in clients:
        profile = client_profile(session, advisor_a, client.id, TODAY)
        texts = _strings(profile)
        for raw in (client.phone, client.id_number):
            if raw:
                assert not any(raw in t for t in texts), f"raw personal data in profile {client.id}"
        assert profile.phone_masked == mask_phone(client.phone)


def test_profile_figures(session: Session, advisor_a: Identity) -> None:
    match = find_clients(session, advisor_a, "张伟", TODAY)[0]
    profile = client_profile(session, advisor_a, match.id, TODAY)
    assert profile.total_assets == sum(profile.assets_by_category.values(), Decimal(0))
    assert set(profile.assets_by_category) <= set(CATEGORY_NAMES.values())
    assert len(profile.last_contacts) <= 5
    times = [c.happened_at for c in profile.last_contacts]
    assert times == sorted(times, reverse=True)
    for h in profile.upcoming_maturities:
        assert h.maturity_date is not None and TODAY <= h.maturity_date <= TODAY + dt.timedelta(days=90)
    assert profile.age == match.age


def test_risk_expiry_uses_the_configured_window(session: Session, advisor_a: Identity) -> None:
    client = session.execute(
        select(Client).where(Client.advisor_id == advisor_a.staff_id, Client.risk_assessed_on.is_not(None))
    ).scalars().first()
    assert client is not None and client.risk_assessed_on is not None
    age = (TODAY - client.risk_assessed_on).days
    assert client_profile(session, advisor_a, client.id, TODAY, valid_days=age).risk_expired is False
    assert client_profile(session, advisor_a, client.id, TODAY, valid_days=age - 1).risk_expired is True

"""The visibility rule for every role: advisor, manager, client, unknown."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import AccessDenied, can_see_client, visible_clients
from bank.clients import client_profile, find_clients
from bank.directory import Identity
from bank.models import Client, Staff
from tests.demo_staff import TODAY


@pytest.fixture(scope="module")
def session(shared_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return shared_session


def _ids(session: Session, viewer: Identity | None) -> set[int]:
    return {c.id for c in session.execute(visible_clients(session, viewer)).scalars()}


def test_advisor_sees_exactly_their_own_clients(session: Session, advisor_a: Identity) -> None:
    own = set(session.execute(select(Client.id).where(Client.advisor_id == advisor_a.staff_id)).scalars())
    assert own and _ids(session, advisor_a) == own


def test_advisor_cannot_see_or_find_another_advisors_client(
    session: Session, advisor_a: Identity, advisor_b: Identity
) -> None:
    theirs = session.execute(
        select(Client).where(Client.advisor_id == advisor_b.staff_id).order_by(Client.id)
    ).scalars().first()
    assert theirs is not None
    assert not can_see_client(session, advisor_a, theirs.id)
    assert can_see_client(session, advisor_b, theirs.id)
    assert all(m.id != theirs.id for m in find_clients(session, advisor_a, theirs.name, TODAY))
    with pytest.raises(AccessDenied):
        client_profile(session, advisor_a, theirs.id, TODAY)


def test_manager_sees_their_team_only(session: Session, manager: Identity, other_manager: Identity) -> None:
    team_id = session.execute(select(Staff.team_id).where(Staff.id == manager.staff_id)).scalar_one()
    team_clients = set(session.execute(
        select(Client.id).join(Staff, Client.advisor_id == Staff.id).where(Staff.team_id == team_id)
    ).scalars())
    seen = _ids(session, manager)
    assert seen == team_clients
    other = _ids(session, other_manager)
    assert other and not (seen & other)
    assert len(seen) + len(other) <= session.execute(select(Client.id)).all().__len__()


def test_client_sees_only_themself(session: Session) -> None:
    from bank.directory import demo_identities

    client = next(i for i in demo_identities(session) if i.role == "client")
    assert _ids(session, client) == {client.client_id}
    other_id = client.client_id + 1 if client.client_id else 1
    assert not can_see_client(session, client, other_id)
    assert find_clients(session, client, client.name, TODAY)[0].id == client.client_id


@pytest.mark.parametrize("viewer", [None, Identity("x", "guest", "陌生人", None, None, None),
                                    Identity("y", "advisor", "无工号", None, None, None)])
def test_unknown_viewer_sees_nothing(session: Session, viewer: Identity | None) -> None:
    assert _ids(session, viewer) == set()
    assert not can_see_client(session, viewer, 1)
    assert find_clients(session, viewer, "张伟", TODAY) == []


def test_unknown_client_id_is_denied_like_a_hidden_one(session: Session, advisor_a: Identity) -> None:
    assert not can_see_client(session, advisor_a, 10_000_000)
    with pytest.raises(AccessDenied):
        client_profile(session, advisor_a, 10_000_000, TODAY)

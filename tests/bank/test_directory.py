"""Directory lookups: a WeCom id resolves to the right person and role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.directory import Identity, demo_identities, who_is
from bank.models import Client, Staff


def test_staff_userids_resolve_to_their_role_and_team(demo_session: Session) -> None:
    manager = who_is(demo_session, "chenjing")
    advisor = who_is(demo_session, "zhoujie")
    assert manager == Identity("chenjing", "manager", "陈静", manager.staff_id, None, "南京分行新街口支行", None)
    assert advisor is not None and advisor.role == "advisor" and advisor.team_name == "南京分行河西支行"
    assert demo_session.get(Staff, advisor.staff_id).name == advisor.name


def test_client_external_userid_resolves_to_client_with_advisor(demo_session: Session) -> None:
    row = demo_session.execute(select(Client).order_by(Client.id).limit(1)).scalar_one()
    who = who_is(demo_session, row.wecom_external_userid)
    assert who is not None
    assert (who.role, who.name, who.client_id, who.staff_id) == ("client", row.name, row.id, None)
    assert who.advisor_name == row.advisor.name and who.team_name == row.advisor.team.name


def test_unknown_id_is_none(demo_session: Session) -> None:
    assert who_is(demo_session, "nobody-we-know") is None


def test_demo_identities_are_managers_then_advisors_then_clients(demo_session: Session) -> None:
    people = demo_identities(demo_session, per_role=3)
    assert [p.role for p in people] == ["manager"] * 2 + ["advisor"] * 3 + ["client"] * 3
    assert people == demo_identities(demo_session, per_role=3)
    assert all(who_is(demo_session, p.wecom_id) == p for p in people)

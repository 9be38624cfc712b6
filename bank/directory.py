"""Who is who: resolve a WeCom userid or external userid to a staff member or client."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bank.models import Client, Staff
from bank.models import Identity as IdentityRow


@dataclass(frozen=True)
class Identity:
    """A sender as the bot sees it: role is advisor, manager or client."""

    wecom_id: str
    role: str
    name: str
    staff_id: int | None
    client_id: int | None
    team_name: str | None
    advisor_name: str | None = None


def _from_row(row: IdentityRow) -> Identity:
    if row.kind == "staff" and row.staff is not None:
        staff = row.staff
        return Identity(row.wecom_id, staff.role, staff.name, staff.id, None, staff.team.name, None)
    client = row.client
    assert client is not None, f"identity {row.wecom_id!r} has no client"
    advisor = client.advisor
    return Identity(row.wecom_id, "client", client.name, None, client.id, advisor.team.name, advisor.name)


def _query():  # type: ignore[no-untyped-def]
    return select(IdentityRow).options(
        joinedload(IdentityRow.staff).joinedload(Staff.team),
        joinedload(IdentityRow.client).joinedload(Client.advisor).joinedload(Staff.team),
    )


def who_is(session: Session, wecom_id: str) -> Identity | None:
    """The identity registered for `wecom_id`, or None when the bank does not know it."""
    row = session.execute(_query().where(IdentityRow.wecom_id == wecom_id)).scalar_one_or_none()
    return _from_row(row) if row is not None else None


def demo_identities(session: Session, per_role: int = 3) -> list[Identity]:
    """Up to `per_role` identities per role, deterministically: managers, then advisors, then clients."""
    people: list[Identity] = []
    for role in ("manager", "advisor"):
        rows = session.execute(
            _query().join(Staff, IdentityRow.staff_id == Staff.id).where(Staff.role == role)
            .order_by(Staff.id).limit(per_role)
        ).scalars()
        people += [_from_row(r) for r in rows]
    rows = session.execute(
        _query().where(IdentityRow.kind == "client").order_by(IdentityRow.client_id).limit(per_role)
    ).scalars()
    people += [_from_row(r) for r in rows]
    return people

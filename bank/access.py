"""Who may see which client: the single place for the visibility rule every client query goes through.

An advisor sees their own clients, a manager every client of their team's advisors, a client only
themself, and anyone else nothing. Callers never disclose clients outside this scope.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.models import Client, Staff


class AccessDenied(Exception):
    """The viewer may not see the requested client (the message never describes that client)."""

    def __init__(self, client_id: int) -> None:
        super().__init__(f"client_id: {client_id} is not visible to this viewer")
        self.client_id = client_id


def visible_client_ids(viewer: Identity | None) -> Select:
    """A SELECT of the ids of every client `viewer` may see (empty for unknown viewers)."""
    if viewer is None:
        return select(Client.id).where(false())
    if viewer.role == "advisor" and viewer.staff_id is not None:
        return select(Client.id).where(Client.advisor_id == viewer.staff_id)
    if viewer.role == "manager" and viewer.staff_id is not None:
        team = select(Staff.team_id).where(Staff.id == viewer.staff_id).scalar_subquery()
        advisors = select(Staff.id).where(Staff.team_id == team)
        return select(Client.id).where(Client.advisor_id.in_(advisors))
    if viewer.role == "client" and viewer.client_id is not None:
        return select(Client.id).where(Client.id == viewer.client_id)
    return select(Client.id).where(false())


def visible_clients(session: Session, viewer: Identity | None) -> Select:
    """A SELECT of the Client rows `viewer` may see; add filters and ordering to it."""
    return select(Client).where(Client.id.in_(visible_client_ids(viewer)))


def can_see_client(session: Session, viewer: Identity | None, client_id: int) -> bool:
    """Whether `viewer` may see client `client_id` (False for unknown ids too, so nothing is disclosed)."""
    query = visible_client_ids(viewer).where(Client.id == client_id)
    return session.execute(query).first() is not None


def require_client(session: Session, viewer: Identity | None, client_id: int) -> None:
    """Raise AccessDenied unless `viewer` may see client `client_id`."""
    if not can_see_client(session, viewer, client_id):
        raise AccessDenied(client_id)

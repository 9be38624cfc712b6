"""Own choices about the scheduled jobs: a staff member's (when the morning briefing comes, or that it does not) and
a client's (no monthly statement: every job that sends one checks `statements_opted_out`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import ClientPreference, StaffPreference
from calc import clock


@dataclass(frozen=True)
class BriefingChoice:
    """The briefing time an advisor chose (None: the default), whether it is off, and a pause [from, until]."""

    at: dt.time | None = None
    off: bool = False
    paused_from: dt.date | None = None
    paused_until: dt.date | None = None

    def wanted_on(self, day: dt.date) -> bool:
        """Whether the advisor wants a briefing on `day`.

        >>> BriefingChoice(paused_from=dt.date(2026, 12, 2), paused_until=dt.date(2026, 12, 2)).wanted_on(
        ...     dt.date(2026, 12, 2))
        False
        >>> BriefingChoice(off=True).wanted_on(dt.date(2026, 12, 2)), BriefingChoice().wanted_on(dt.date(2026, 12, 2))
        (False, True)
        """
        if self.off:
            return False
        return not (self.paused_from and self.paused_until and self.paused_from <= day <= self.paused_until)


def _choice(row: StaffPreference | None) -> BriefingChoice:
    if row is None:
        return BriefingChoice()
    at = dt.time.fromisoformat(row.briefing_at) if row.briefing_at else None
    return BriefingChoice(at, bool(row.briefing_off), row.paused_from, row.paused_until)


def briefing_choices(session: Session, staff_ids: Sequence[int]) -> dict[int, BriefingChoice]:
    """Every given staff member's choice (the default for those who made none), in one statement."""
    rows = {row.staff_id: row for row in session.scalars(
        select(StaffPreference).where(StaffPreference.staff_id.in_(list(staff_ids))))}
    return {sid: _choice(rows.get(sid)) for sid in staff_ids}


def _row(session: Session, staff_id: int) -> StaffPreference:
    row = session.get(StaffPreference, staff_id)
    if row is None:
        row = StaffPreference(staff_id=staff_id, briefing_off=False, updated_at=clock.now())
        session.add(row)
    return row


def set_briefing_time(session: Session, staff_id: int, at: dt.time) -> BriefingChoice:
    """The briefing comes at `at` every working day from now on (which also turns it back on and ends a pause)."""
    row = _row(session, staff_id)
    row.briefing_at, row.briefing_off, row.paused_from, row.paused_until = f"{at:%H:%M}", False, None, None
    row.updated_at = clock.now()
    session.flush()
    return _choice(row)


def pause_briefing(session: Session, staff_id: int, first: dt.date, last: dt.date) -> BriefingChoice:
    """No briefing from `first` to `last` (both included)."""
    if last < first:
        raise ValueError("last: must not be before first")
    row = _row(session, staff_id)
    row.paused_from, row.paused_until, row.updated_at = first, last, clock.now()
    session.flush()
    return _choice(row)


def stop_briefing(session: Session, staff_id: int) -> BriefingChoice:
    """No briefing at all until the advisor asks for one again (a time)."""
    row = _row(session, staff_id)
    row.briefing_off, row.updated_at = True, clock.now()
    session.flush()
    return _choice(row)


# --- clients -------------------------------------------------------------------------------------------------
def statements_opted_out(session: Session, client_ids: Sequence[int] | None = None) -> set[int]:
    """The clients (optionally only among `client_ids`) who asked for no monthly statement, in one statement."""
    query = select(ClientPreference.client_id).where(ClientPreference.statements_off.is_(True))
    if client_ids is not None:
        query = query.where(ClientPreference.client_id.in_(list(client_ids)))
    return set(session.scalars(query))


def set_statements_wanted(session: Session, client_id: int, wanted: bool) -> bool:
    """Record whether client `client_id` wants the monthly statement; returns whether that changed anything."""
    row = session.get(ClientPreference, client_id)
    if row is None:
        if wanted:
            return False  # wanted is the default: nothing to store
        row = ClientPreference(client_id=client_id, statements_off=False, updated_at=clock.now())
        session.add(row)
    changed = bool(row.statements_off) == wanted
    row.statements_off, row.updated_at = not wanted, clock.now()
    session.flush()
    return changed

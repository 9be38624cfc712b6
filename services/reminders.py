"""What the briefings achieve: whether the advisor acted on each reminder (a briefing's client line, stored by
services/briefing_job.py in `reminders`), by advisor and by reminder kind.

A reminder counts as **acted on** when the reminded advisor logged a contact with that client, made a proposal
for them or pushed them a portfolio from the start of the reminder's day until the end of the N-th working day
after it (N = the setting REMINDER_ACTED_DAYS, default 3; working days from calc/calendar.py, so a Friday's
reminder is not lost to the weekend). A reminder whose window has not closed yet and has no action so far is
**open**: it may still be acted on. The rate is acted / reminded.

Computed, not stored: one grouped SQL statement per call (correlated EXISTS over contacts, proposals and pushes,
each indexed by client), whatever the number of advisors, reminders or clients.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, false, func, literal, or_, select
from sqlalchemy.orm import Session

from bank.models import Contact, PortfolioPush, Proposal, Reminder, Staff
from calc.calendar import next_day
from services.briefings import TITLES


def window_end(day: dt.date, acted_days: int) -> dt.date:
    """The first day no longer in the window of a reminder of `day` (the day after its N-th working day after).

    >>> window_end(dt.date(2026, 12, 1), 3), window_end(dt.date(2026, 12, 4), 3)   # Tuesday, Friday
    (datetime.date(2026, 12, 5), datetime.date(2026, 12, 10))
    """
    if acted_days < 1:
        raise ValueError(f"acted_days: must be 1 or more, got {acted_days}")
    return next_day(day, acted_days, trading=False) + dt.timedelta(days=1)


def rate_pct(acted: int, reminded: int) -> float | None:
    """acted / reminded as a percentage with one decimal (None without reminders).

    >>> rate_pct(2, 3), rate_pct(0, 0)
    (66.7, None)
    """
    return round(100.0 * acted / reminded, 1) if reminded else None


@dataclass
class Tally:
    reminded: int = 0
    acted: int = 0
    open: int = 0

    def add(self, reminded: int, acted: int, still_open: int) -> None:
        self.reminded += reminded
        self.acted += acted
        self.open += still_open

    def as_dict(self) -> dict[str, Any]:
        return {"reminded": self.reminded, "acted": self.acted, "open": self.open,
                "rate": rate_pct(self.acted, self.reminded)}


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def conversion(session: Session, advisor_ids: list[int], start: dt.date, end: dt.date, acted_days: int,
               today: dt.date) -> dict[str, Any]:
    """Reminders of `advisor_ids` dated in [start, end] and how many were acted on: in total, by advisor (every
    advisor given, in the order given, even without reminders) and by kind (in the briefing's order, kinds
    with reminders only). `today` decides which windows are still open."""
    advisors = dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(advisor_ids))).tuples().all())
    by_advisor = {sid: Tally() for sid in advisor_ids if sid in advisors}
    by_kind: dict[str, Tally] = {}
    total = Tally()
    if by_advisor:
        days = _days(start, end)
        # The window's end of every possible reminder day, worked out here from the calendar (one CASE), so the
        # statement is the same on SQLite and PostgreSQL.
        until = case({d: literal(window_end(d, acted_days)) for d in days}, value=Reminder.day)
        since = Reminder.day
        contacted = exists().where(Contact.client_id == Reminder.client_id, Contact.advisor_id == Reminder.advisor_id,
                                   Contact.happened_at >= since, Contact.happened_at < until)
        proposed = exists().where(Proposal.client_id == Reminder.client_id,
                                  Proposal.created_by_id == Reminder.advisor_id,
                                  Proposal.created_at >= since, Proposal.created_at < until)
        pushed = exists().where(PortfolioPush.client_id == Reminder.client_id,
                                PortfolioPush.advisor_id == Reminder.advisor_id,
                                PortfolioPush.created_at >= since, PortfolioPush.created_at < until)
        each = (select(Reminder.advisor_id, Reminder.kind, Reminder.day,
                       case((or_(contacted, proposed, pushed), 1), else_=0).label("acted"))
                .where(Reminder.advisor_id.in_(list(by_advisor)), Reminder.day >= start, Reminder.day <= end)
                .subquery())
        closes_after_today = [d for d in days if window_end(d, acted_days) > today]
        still_open = and_(each.c.acted == 0, each.c.day.in_(closes_after_today)) if closes_after_today else false()
        rows = session.execute(
            select(each.c.advisor_id, each.c.kind, func.count(), func.sum(each.c.acted),
                   func.sum(case((still_open, 1), else_=0)))
            .group_by(each.c.advisor_id, each.c.kind)
        ).tuples().all()
        for advisor_id, kind, reminded, acted_n, open_n in rows:
            figures = (int(reminded), int(acted_n or 0), int(open_n or 0))
            by_advisor[advisor_id].add(*figures)
            by_kind.setdefault(kind, Tally()).add(*figures)
            total.add(*figures)
    order = {key: index for index, key in enumerate(TITLES)}
    return {
        "acted_days": acted_days,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "total": total.as_dict(),
        "by_advisor": [{"staff_id": sid, "name": advisors[sid], **tally.as_dict()} for sid, tally in by_advisor.items()],
        "by_kind": [{"kind": kind, "name": TITLES.get(kind, kind), **tally.as_dict()}
                    for kind, tally in sorted(by_kind.items(), key=lambda item: (order.get(item[0], 99), item[0]))],
    }


def conversion_line(figures: dict[str, Any]) -> str:
    """One chat line of `conversion()`'s figures (for the chat team dashboard): the rate, and who acted on none.

    >>> conversion_line({"acted_days": 3, "total": {"reminded": 7, "acted": 4, "open": 0, "rate": 57.1},
    ...                  "by_advisor": [{"name": "张敏", "reminded": 5, "acted": 4, "open": 0},
    ...                                 {"name": "李强", "reminded": 2, "acted": 0, "open": 0}]})
    '· 待办跟进率57.1%（提醒7条，3个工作日内跟进4条）；未跟进：李强'
    >>> conversion_line({"acted_days": 3, "total": {"reminded": 0, "acted": 0, "open": 0, "rate": None},
    ...                  "by_advisor": []})
    '· 待办跟进：本期没有待办提醒'
    """
    total = figures["total"]
    if not total["reminded"]:
        return "· 待办跟进：本期没有待办提醒"
    idle = [row["name"] for row in figures["by_advisor"]
            if row["reminded"] and not row["acted"] and row["open"] < row["reminded"]]
    line = (f"· 待办跟进率{total['rate']:.1f}%（提醒{total['reminded']}条，"
            f"{figures['acted_days']}个工作日内跟进{total['acted']}条）")
    return line + (f"；未跟进：{'、'.join(idle)}" if idle else "")

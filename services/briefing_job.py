"""The morning-briefing job: on working days, each advisor whose briefing time has come (their own, or the
default) and is still within the grace period gets today's briefing once, as a WeCom markdown message through
the outbox, and its client lines are recorded as reminders (services/reminders.py measures what followed).

Idempotent by the job-run key (briefing, advisor, day): the key, the outbox message and the reminders are
stored in one transaction, so a crash, a catch-up or a second scheduler never sends it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bank.db import session_scope
from bank.job_runs import done_for, record_run
from bank.models import Reminder, Staff
from bank.notifications import add_notification
from bank.preferences import briefing_choices
from calc.calendar import is_working_day
from services.briefings import Briefing, briefing_markdown, build_briefings, reminded
from services.links import public_url
from services.settings import Settings
from wecom.masking import mask_id
from wecom.messages import markdown

JOB = "briefing"
log = logging.getLogger(__name__)


@dataclass
class JobReport:
    """What one run of a job did: the period it served and who got something (or was skipped as done)."""

    job: str
    period: str = ""
    sent: list[str] = field(default_factory=list)
    already_done: list[str] = field(default_factory=list)


def briefing_url(day: dt.date) -> str:
    """The full briefing page of `day` (the advisor signs in to open it)."""
    return public_url(f"/briefing?day={day.isoformat()}")


def due_advisors(choices: dict[int, tuple[dt.time, bool]], now: dt.datetime, grace: dt.timedelta) -> list[int]:
    """Advisors whose briefing time (with whether they want one today) has come at `now`, within `grace`.

    >>> at = dt.datetime(2026, 12, 1, 8, 40)
    >>> due_advisors({1: (dt.time(8, 30), True), 2: (dt.time(9, 0), True), 3: (dt.time(8, 0), False),
    ...               4: (dt.time(5, 0), True)}, at, dt.timedelta(hours=3))
    [1]
    """
    due = []
    for staff_id, (at, wanted) in sorted(choices.items()):
        slot = dt.datetime.combine(now.date(), at)
        if wanted and slot <= now <= slot + grace:
            due.append(staff_id)
    return due


def send_briefings(now: dt.datetime, settings: Settings, url: str | None = None) -> JobReport:
    """Enqueue today's briefing for every advisor it is due for at `now` (China time), once each."""
    day = now.date()
    report = JobReport(JOB, day.isoformat())
    if not settings.briefing_enabled or not is_working_day(day):
        return report
    default_at = dt.time.fromisoformat(settings.briefing_at)
    with session_scope(url) as session:
        advisors = dict(session.execute(select(Staff.id, Staff.wecom_userid).where(Staff.role == "advisor")).all())
        choices = briefing_choices(session, list(advisors))
        wanted = {sid: (c.at or default_at, c.wanted_on(day)) for sid, c in choices.items()}
        due = due_advisors(wanted, now, dt.timedelta(minutes=settings.briefing_grace_minutes))
        done = done_for(session, JOB, report.period, [advisors[sid] for sid in due])
        report.already_done = sorted(done)
        todo = [sid for sid in due if advisors[sid] not in done]
        briefings = build_briefings(session, todo, now, settings) if todo else {}
    for staff_id in todo:
        if _send_one(briefings[staff_id], now, settings, url):
            report.sent.append(advisors[staff_id])
        else:
            report.already_done.append(advisors[staff_id])
    return report


def _send_one(briefing: Briefing, now: dt.datetime, settings: Settings, url: str | None) -> bool:
    """Store the key, the message and the reminders together; False when another run got there first."""
    link = briefing_url(briefing.day)
    content = briefing_markdown(briefing, settings.briefing_max_lines, link)
    try:
        with session_scope(url) as session:
            run = record_run(session, JOB, briefing.advisor_userid, briefing.day.isoformat(), now=now)
            note = add_notification(session, briefing.advisor_userid, content, kind=JOB, priority=1,
                                    path="message/send", payload=markdown(content), now=now)
            run.notification_id = note.id
            rows = [{"advisor_id": briefing.advisor_id, "client_id": client_id, "kind": kind, "day": briefing.day}
                    for client_id, kind in reminded(briefing)]
            if rows:
                session.execute(insert(Reminder), rows)
    except IntegrityError:
        log.info("briefing for %s on %s: already sent", mask_id(briefing.advisor_userid), briefing.day)
        return False
    return True

"""The job-run table: one scheduled job's work for one recipient and one period is done at most once.

A job claims its key in the same transaction that stores what it sends (the outbox message): a crash before the
commit leaves neither, a second scheduler's commit fails on the unique key and leaves neither either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import JobRun
from calc import clock


def done_for(session: Session, job: str, period: str, recipients: Iterable[str] | None = None) -> set[str]:
    """The recipients whose (job, period) work is already done (optionally only among `recipients`)."""
    query = select(JobRun.recipient).where(JobRun.job == job, JobRun.period == period)
    if recipients is not None:
        query = query.where(JobRun.recipient.in_(list(recipients)))
    return set(session.scalars(query))


def record_run(session: Session, job: str, recipient: str, period: str, notification_id: int | None = None,
               now: dt.datetime | None = None) -> JobRun:
    """Claim (job, recipient, period), flushed at once: raises sqlalchemy.exc.IntegrityError when it was done
    already (roll back the whole transaction then: what it stored must not be sent twice)."""
    run = JobRun(job=job[:32], recipient=recipient[:64], period=period[:64], done_at=now or clock.now(),
                 notification_id=notification_id)
    session.add(run)
    session.flush()
    return run

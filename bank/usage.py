"""Usage events: who used which feature when, for the dashboards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from bank.models import UsageEvent
from calc import clock


def record_usage(session: Session, actor_id: str, role: str, feature: str, *, detail: dict[str, Any] | None = None,
                 at: dt.datetime | None = None) -> UsageEvent:
    """Add one usage event (flushed); `actor_id` is the WeCom userid or external userid.

    Raises
    ------
    ValueError
        `actor_id` or `feature` is empty.
    """
    if not actor_id:
        raise ValueError("actor_id: must not be empty")
    if not feature:
        raise ValueError("feature: must not be empty")
    event = UsageEvent(actor_id=actor_id[:64], role=role or "unknown", feature=feature[:64],
                       happened_at=at or clock.now(), detail=detail or {})
    session.add(event)
    session.flush()
    return event

"""Record that the sender used a feature; a failure is logged and never costs the user their answer."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError

from bank.db import session_scope
from bank.usage import record_usage as store_usage

log = logging.getLogger(__name__)


def record_usage(tracker: Tracker, feature: str, **detail: Any) -> None:
    """One usage event for the sender of `tracker` (role from the `role` slot)."""
    actor = tracker.sender_id or ""
    if not actor:
        return
    role = str(tracker.get_slot("role") or "unknown")
    try:
        with session_scope() as session:
            store_usage(session, actor, role, feature, detail={k: v for k, v in detail.items() if v is not None})
    except (SQLAlchemyError, ValueError) as error:
        log.warning("usage event %s not recorded: %s", feature, type(error).__name__)

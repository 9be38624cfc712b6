"""The outbox: messages for one recipient (hand-offs, order notices, pushes, broadcasts).

Every message is stored first; a sender (WeCom when configured) marks it sent. Without WeCom the outbox is
what the web app and the tests read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import Notification
from calc import clock

MAX_TEXT = 2000


def add_notification(session: Session, recipient: str, text: str, *, kind: str = "info",
                     card: dict[str, Any] | None = None, now: dt.datetime | None = None) -> Notification:
    """Store one message for `recipient` (a WeCom userid or external userid); flushed so it has an id.

    Raises
    ------
    ValueError
        The recipient or the text is empty.
    """
    if not recipient:
        raise ValueError("recipient: must not be empty")
    if not text.strip():
        raise ValueError("text: must not be empty")
    note = Notification(recipient=recipient[:64], kind=kind[:32], text=text[:MAX_TEXT], card=card,
                        created_at=now or clock.now())
    session.add(note)
    session.flush()
    return note


def told_since(session: Session, recipient: str, kind: str, text: str, since: dt.datetime) -> bool:
    """Whether `recipient` was already given this exact message (same kind and text) at or after `since`."""
    return session.scalar(select(Notification.id).where(
        Notification.recipient == recipient[:64], Notification.kind == kind[:32],
        Notification.text == text[:MAX_TEXT], Notification.created_at >= since).limit(1)) is not None


def mark_sent(session: Session, notification_id: int, *, error: str | None = None,
              now: dt.datetime | None = None) -> None:
    """Record a delivery (or, with `error`, a failed attempt) for one message."""
    note = session.get(Notification, notification_id)
    if note is None:
        return
    if error:
        note.error = error[:200]
    else:
        note.sent_at, note.error = now or clock.now(), None


def pending_for(session: Session, recipient: str) -> list[Notification]:
    """Messages for `recipient` not yet delivered, oldest first."""
    return list(session.scalars(select(Notification).where(
        Notification.recipient == recipient, Notification.sent_at.is_(None)).order_by(Notification.id)))


def messages_for(session: Session, recipient: str, kind: str | None = None) -> list[Notification]:
    """Every message for `recipient` (optionally of one kind), oldest first."""
    query = select(Notification).where(Notification.recipient == recipient)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))

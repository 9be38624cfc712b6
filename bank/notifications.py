"""The outbox: messages for one recipient (replies, hand-offs, order notices, pushes, broadcasts).

Every message is stored first (`add_notification`); the sender worker (services/outbox.py) claims the next due
message of each recipient, sends it and records the outcome here. States: pending → sent | awaiting_advisor
(a mass send WeCom holds until the advisor confirms) | held (WeCom's rules forbid it for now) | dead (gave up,
with the reason) | dropped (an operator's decision). Without WeCom the outbox is what the web app and the tests
read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bank.models import Client, InboxMessage, Notification, Staff
from calc import clock

MAX_TEXT = 2000
PRIORITIES = (0, 1, 2)  # 0 a reply or an order notice, 1 service, 2 marketing
RESENDABLE = ("dead", "held", "dropped")
DROPPABLE = ("pending", "held", "dead")
UNORDERED_PATHS = ("kf/send_msg_on_event",)  # the 微信客服 welcome must go within 20 s, whatever waits before it


def add_notification(session: Session, recipient: str, text: str, *, kind: str = "info",
                     card: dict[str, Any] | None = None, priority: int = 1, path: str | None = None,
                     payload: dict[str, Any] | None = None, source: str | None = None,
                     now: dt.datetime | None = None) -> Notification:
    """Enqueue one message for `recipient` (a WeCom userid or external userid); flushed so it has an id.

    Without `path` the sender builds the WeCom body from `text` and `card`; with `path` and `payload` it sends
    that body as it is (`text` is then only its readable record). `source` names the inbox message answered.

    Raises
    ------
    ValueError
        The recipient or the text is empty, the priority is not 0-2, or only one of path and payload is given.
    """
    if not recipient:
        raise ValueError("recipient: must not be empty")
    if not text.strip():
        raise ValueError("text: must not be empty")
    if priority not in PRIORITIES:
        raise ValueError("priority: must be 0 (reply, order notice), 1 (service) or 2 (marketing)")
    if (path is None) != (payload is None):
        raise ValueError("path and payload: give both or neither")
    note = Notification(recipient=recipient[:64], kind=kind[:32], text=text[:MAX_TEXT], card=card,
                        created_at=now or clock.now(), priority=priority, path=path, payload=payload,
                        source=source[:160] if source else None, state="pending", attempts=0)
    session.add(note)
    session.flush()
    return note


def told_since(session: Session, recipient: str, kind: str, text: str, since: dt.datetime) -> bool:
    """Whether `recipient` was already given this exact message (same kind and text) at or after `since`."""
    return session.scalar(select(Notification.id).where(
        Notification.recipient == recipient[:64], Notification.kind == kind[:32],
        Notification.text == text[:MAX_TEXT], Notification.created_at >= since).limit(1)) is not None


# --- claiming -----------------------------------------------------------------------------------------------
def _not_blocked() -> Any:
    """No older message of the same recipient is pending, nor held at the same or a more urgent priority
    (a held marketing message does not stop an order notice; a held reply stops everything after it).
    The 微信客服 welcome neither waits nor is waited for."""
    older = aliased(Notification)
    return or_(Notification.path.in_(UNORDERED_PATHS), ~exists(select(older.id).where(
        older.recipient == Notification.recipient, older.id < Notification.id,
        or_(older.path.is_(None), older.path.not_in(UNORDERED_PATHS)),
        or_(older.state == "pending", and_(older.state == "held", older.priority <= Notification.priority)))))


def _due(now: dt.datetime) -> Any:
    return and_(Notification.state == "pending",
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now), _not_blocked())


def due_ids(session: Session, now: dt.datetime, limit: int = 20, recipient: str | None = None) -> list[int]:
    """Ids of messages due at `now`, at most one per recipient (its oldest), most urgent first."""
    query = select(Notification.id).where(_due(now))
    if recipient is not None:
        query = query.where(Notification.recipient == recipient)
    return list(session.scalars(query.order_by(Notification.priority, Notification.id).limit(limit)))


def claim(session: Session, notification_id: int, now: dt.datetime, lease_until: dt.datetime) -> bool:
    """Take a due message for sending until `lease_until`: one atomic UPDATE, so of two senders racing for it
    exactly one sees a row changed. Commit before sending."""
    result = session.execute(update(Notification).where(Notification.id == notification_id, _due(now))
                             .values(next_attempt_at=lease_until).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def _set(session: Session, notification_id: int, states: tuple[str, ...], **values: Any) -> bool:
    result = session.execute(update(Notification).where(Notification.id == notification_id,
                                                        Notification.state.in_(states))
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def mark_sent(session: Session, notification_id: int, *, route: str, external_id: str | None = None,
              now: dt.datetime | None = None) -> bool:
    """WeCom accepted the message (`external_id`: its msgid) through `route` (app | kf)."""
    return _set(session, notification_id, ("pending",), state="sent", sent_at=now or clock.now(), route=route,
                external_id=external_id, error=None, next_attempt_at=None, attempts=Notification.attempts + 1)


def mark_awaiting_advisor(session: Session, notification_id: int, task_id: str, *,
                          now: dt.datetime | None = None) -> bool:
    """A mass-send task (`task_id`) was created; WeCom delivers it once the advisor confirms."""
    return _set(session, notification_id, ("pending",), state="awaiting_advisor", route="mass",
                external_id=task_id, sent_at=now or clock.now(), error=None, next_attempt_at=None,
                attempts=Notification.attempts + 1)


def retry_later(session: Session, notification_id: int, at: dt.datetime, error: str) -> bool:
    """An attempt failed: count it and try again at `at`."""
    return _set(session, notification_id, ("pending",), next_attempt_at=at, error=error[:200],
                attempts=Notification.attempts + 1)


def postpone(session: Session, notification_id: int, at: dt.datetime) -> bool:
    """Not tried (rate limit, WeCom not configured): look again at `at` without counting an attempt."""
    return _set(session, notification_id, ("pending",), next_attempt_at=at)


def awaiting_confirmation(session: Session, created_before: dt.datetime, limit: int = 200) -> list[Notification]:
    """Mass sends created before `created_before` that still await their advisor's confirmation, oldest first."""
    return list(session.scalars(select(Notification).where(
        Notification.state == "awaiting_advisor", Notification.sent_at <= created_before)
        .order_by(Notification.id).limit(limit)))


def settle_mass_send(session: Session, notification_id: int, *, delivered: bool, reason: str = "",
                     now: dt.datetime | None = None) -> bool:
    """What became of a mass send: WeCom delivered it (sent), or it never will (dead, with the reason)."""
    if delivered:
        return _set(session, notification_id, ("awaiting_advisor",), state="sent", sent_at=now or clock.now())
    return _set(session, notification_id, ("awaiting_advisor",), state="dead", error=reason[:200])


def mark_dead(session: Session, notification_id: int, reason: str) -> bool:
    """Give up on the message, keeping the reason for the operator and the dashboard."""
    return _set(session, notification_id, ("pending",), state="dead", error=reason[:200], next_attempt_at=None,
                attempts=Notification.attempts + 1)


def mark_held(session: Session, notification_id: int, reason: str, now: dt.datetime) -> bool:
    """WeCom's rules forbid sending it now; `now` is kept (as next_attempt_at) as the moment it was held."""
    return _set(session, notification_id, ("pending",), state="held", error=reason[:200], next_attempt_at=now)


def release_on_client_message(session: Session, margin: dt.timedelta = dt.timedelta(seconds=10)) -> int:
    """Held messages whose client wrote again through 微信客服 since they were held become pending; returns how
    many. (`margin` covers a message stored just before the hold was decided.)"""
    held = session.execute(select(Notification.id, Notification.recipient, Notification.next_attempt_at)
                           .where(Notification.state == "held")).all()
    if not held:
        return 0
    last = dict(session.execute(
        select(InboxMessage.sender, func.max(InboxMessage.received_at))
        .where(InboxMessage.channel == "kf", InboxMessage.sender.in_({row.recipient for row in held}))
        .group_by(InboxMessage.sender)).tuples().all())
    return _release(session, [row.id for row in held if row.recipient in last and (
        row.next_attempt_at is None or last[row.recipient] > row.next_attempt_at - margin)])


def release_held_before(session: Session, reason: str, before: dt.datetime) -> int:
    """Messages held for `reason` before `before` (e.g. a month's budget, when a new month starts) become
    pending; returns how many."""
    ids = list(session.scalars(select(Notification.id).where(
        Notification.state == "held", Notification.error == reason[:200], Notification.next_attempt_at < before)))
    return _release(session, ids)


def _release(session: Session, ids: list[int]) -> int:
    """Held → pending for these ids (read first, so a pass with nothing to release writes nothing)."""
    if not ids:
        return 0
    result = session.execute(update(Notification).where(Notification.id.in_(ids), Notification.state == "held")
                             .values(state="pending", error=None, next_attempt_at=None)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- operators ----------------------------------------------------------------------------------------------
def resend(session: Session, notification_id: int) -> bool:
    """Put a dead, held or dropped message back in line with fresh attempts; False for any other state."""
    return _set(session, notification_id, RESENDABLE, state="pending", attempts=0, error=None,
                next_attempt_at=None)


def drop(session: Session, notification_id: int) -> bool:
    """Never send this message (pending, held or dead); False for any other state."""
    return _set(session, notification_id, DROPPABLE, state="dropped", next_attempt_at=None)


def _dead(recipients: Select[Any] | None) -> Select[Any]:
    query = select(Notification).where(Notification.state == "dead")
    return query if recipients is None else query.where(Notification.recipient.in_(recipients))


def dead_letters(session: Session, limit: int = 50, recipients: Select[Any] | None = None) -> list[Notification]:
    """Dead messages, newest first (optionally only for the recipients `recipients` selects)."""
    return list(session.scalars(_dead(recipients).order_by(Notification.id.desc()).limit(limit)))


def count_dead(session: Session, recipients: Select[Any] | None = None) -> int:
    """How many messages are dead (optionally only for the recipients `recipients` selects)."""
    return int(session.scalar(select(func.count()).select_from(_dead(recipients).subquery())) or 0)


# --- what WeCom's rules need to know ------------------------------------------------------------------------
def last_client_message_at(session: Session, external_userid: str) -> dt.datetime | None:
    """When the client last wrote to us through 微信客服 (None: never, as far as the inbox knows)."""
    return session.scalar(select(func.max(InboxMessage.received_at)).where(
        InboxMessage.channel == "kf", InboxMessage.sender == external_userid))


def sent_times(session: Session, recipient: str, routes: tuple[str, ...], since: dt.datetime,
               exclude_path: str | None = None) -> list[dt.datetime]:
    """When messages to `recipient` went out through `routes` (sent or handed to the advisor) since `since`."""
    query = select(Notification.sent_at).where(
        Notification.recipient == recipient, Notification.route.in_(routes),
        Notification.state.in_(("sent", "awaiting_advisor")), Notification.sent_at >= since)
    if exclude_path is not None:
        query = query.where(or_(Notification.path.is_(None), Notification.path != exclude_path))
    return sorted(t for t in session.scalars(query) if t is not None)


def advisor_userid_of(session: Session, external_userid: str) -> str | None:
    """The WeCom userid of the advisor of the client with this external userid (None: unknown client)."""
    return session.scalar(select(Staff.wecom_userid).join(Client, Client.advisor_id == Staff.id)
                          .where(Client.wecom_external_userid == external_userid))


def pending_for(session: Session, recipient: str) -> list[Notification]:
    """Messages for `recipient` not yet delivered (pending or held), oldest first."""
    return list(session.scalars(select(Notification).where(
        Notification.recipient == recipient, Notification.state.in_(("pending", "held")))
        .order_by(Notification.id)))


def messages_for(session: Session, recipient: str, kind: str | None = None) -> list[Notification]:
    """Every message for `recipient` (optionally of one kind), oldest first."""
    query = select(Notification).where(Notification.recipient == recipient)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))

"""Outgoing WeCom messages from the Rasa process, written into the bank's outbox (the `notifications` table)
for the sender worker (services/outbox.py) to deliver with retries: channels never call WeCom to reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from wecom.logs import current_request_id
from wecom.tables import notifications

REPLY = 0  # priority: replies and order notices go before service messages (1) and marketing (2)


@dataclass(frozen=True)
class Reply:
    """One final WeCom body for `path` to `recipient`; `text` is the readable record of it."""

    recipient: str
    path: str
    payload: dict[str, Any]
    text: str


def enqueue(engine: Engine, recipient: str, path: str, payload: dict[str, Any], *, text: str,
            kind: str = "reply", source: str | None = None, priority: int = REPLY) -> int:
    """Store one final WeCom body for `path`; returns the outbox id. `text` is the readable record of it."""
    return enqueue_all(engine, [Reply(recipient, path, payload, text)], kind=kind, source=source,
                       priority=priority)[0]


def enqueue_all(engine: Engine, replies: list[Reply], *, kind: str = "reply", source: str | None = None,
                priority: int = REPLY) -> list[int]:
    """Store several bodies in one transaction, in order (all of them or none); returns their outbox ids.

    Each keeps the request id bound while it is stored (wecom/logs.py), for the sender's log lines."""
    ids = []
    request_id = current_request_id() or None
    with engine.begin() as conn:
        for reply in replies:
            result = conn.execute(insert(notifications).values(
                recipient=reply.recipient[:64], kind=kind[:32], text=(reply.text or kind)[:2000],
                created_at=dt.datetime.now(), path=reply.path, payload=reply.payload, state="pending", attempts=0,
                priority=priority, source=(source or None) and source[:160], request_id=request_id))
            ids.append(int(result.inserted_primary_key[0]))
    return ids


def has_replies(engine: Engine, source: str) -> bool:
    """Whether a turn answering `source` already wrote replies (its process died before saying it was done)."""
    with engine.connect() as conn:
        return conn.execute(select(notifications.c.id).where(notifications.c.source == source[:160])
                            .limit(1)).first() is not None


def failed_by_wecom(engine: Engine, external_id: str, reason: str) -> int:
    """WeCom reported a sent message undeliverable (微信客服 msg_send_fail): mark it dead with the reason."""
    with engine.begin() as conn:
        return int(conn.execute(update(notifications).where(notifications.c.external_id == external_id)
                                .values(state="dead", error=reason[:200])).rowcount)

"""The durable inbox: a callback's message is stored here before WeCom gets its 200, and stays pending until
the bot's turn for it completed. De-duplication is the unique (channel, message_id) constraint, so a retried
callback, a second instance or a restart never runs a message twice and never loses one.

A worker claims a message by taking its lease (an atomic UPDATE; rowcount 1 means it is ours), renews the
lease while the turn runs, and ends with `done`, `retry_later` (the turn failed: keep it pending) or `failed`.
A lease that expires without an outcome means the process died mid-turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wecom.logs import METADATA_KEY, current_request_id, new_request_id
from wecom.tables import inbox, kf_cursors, make_engine

PENDING, DONE, FAILED = "pending", "done", "failed"


def now() -> dt.datetime:
    """Local wall-clock time, naive, as the bank database stores it."""
    return dt.datetime.now()


@dataclass(frozen=True)
class Entry:
    """One stored message as a worker sees it."""

    id: int
    channel: str
    message_id: str
    sender: str
    text: str
    meta: dict[str, Any]
    attempts: int
    busy_told: bool
    error: str | None
    received_at: dt.datetime | None = None  # when the callback stored it (the turn latency starts here)


_SHARED: dict[str, Inbox] = {}


class Inbox:
    """The inbox table of the bank database at `url` (or an `engine` already made)."""

    @classmethod
    def shared(cls, url: str) -> Inbox:
        """One inbox (one connection pool) per database URL in this process."""
        if url not in _SHARED:
            _SHARED[url] = cls(url)
        return _SHARED[url]

    def __init__(self, url: str = "", engine: Engine | None = None) -> None:
        if engine is None and not url:
            raise ValueError("url: the bank database URL (DATABASE_URL) is needed for the inbox")
        self.engine = engine or make_engine(url)

    def accept(self, channel: str, message_id: str, sender: str, text: str,
               meta: dict[str, Any] | None = None) -> bool:
        """Store a message durably; False when (channel, message_id) was stored before (a retry).

        The message keeps the request id bound where it arrived (a new one outside a request) in its meta
        (wecom/logs.py): its turn, its actions and its replies are logged under that id."""
        meta = {**(meta or {})}
        meta.setdefault(METADATA_KEY, current_request_id() or new_request_id())
        row = {"channel": channel[:16], "message_id": message_id[:128], "sender": sender[:64], "text": text,
               "meta": meta, "received_at": now(), "state": PENDING, "attempts": 0}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(inbox).values(**row))
        except IntegrityError:
            return False
        return True

    def claimable(self, channels: tuple[str, ...], limit: int = 100) -> list[Entry]:
        """The oldest pending message of each sender whose turn may start now (no lease held on it)."""
        moment = now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(inbox).where(inbox.c.channel.in_(channels), inbox.c.state == PENDING)
                .order_by(inbox.c.id).limit(limit)
            ).mappings().all()
        first: dict[str, Any] = {}
        for row in rows:
            first.setdefault(row["sender"], row)
        return [_entry(row) for row in first.values()
                if row["lease_until"] is None or row["lease_until"] <= moment]

    def claim(self, entry_id: int, lease_s: float) -> bool:
        """Take the lease on one pending message (counting an attempt); False if another worker has it."""
        moment = now()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(inbox).where(
                    inbox.c.id == entry_id, inbox.c.state == PENDING,
                    or_(inbox.c.lease_until.is_(None), inbox.c.lease_until <= moment))
                .values(lease_until=moment + dt.timedelta(seconds=lease_s), attempts=inbox.c.attempts + 1)
            )
        return result.rowcount == 1

    def renew(self, entry_id: int, lease_s: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(inbox).where(inbox.c.id == entry_id, inbox.c.state == PENDING)
                         .values(lease_until=now() + dt.timedelta(seconds=lease_s)))

    def done(self, entry_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(inbox).where(inbox.c.id == entry_id)
                         .values(state=DONE, done_at=now(), lease_until=None, error=None))

    def retry_later(self, entry_id: int, error: str, after_s: float, busy_told: bool = False,
                    counted: bool = True) -> None:
        """Keep the message pending for another try after `after_s` (the lease doubles as the wait).

        `counted=False` takes back the attempt its claim counted: the turn never started (a part was down),
        so waiting for that part does not use up the message's attempts.
        """
        values: dict[str, Any] = {"lease_until": now() + dt.timedelta(seconds=after_s), "error": error[:200]}
        if busy_told:
            values["busy_told_at"] = now()
        if not counted:
            values["attempts"] = inbox.c.attempts - 1
        with self.engine.begin() as conn:
            conn.execute(update(inbox).where(inbox.c.id == entry_id).values(**values))

    def done_by_key(self, channel: str, message_id: str) -> None:
        """Close a record that needs no turn (a system event acted on as it was stored)."""
        with self.engine.begin() as conn:
            conn.execute(update(inbox).where(inbox.c.channel == channel, inbox.c.message_id == message_id[:128])
                         .values(state=DONE, done_at=now()))

    def failed(self, entry_id: int, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(inbox).where(inbox.c.id == entry_id)
                         .values(state=FAILED, lease_until=None, error=error[:200], done_at=now()))

    def counts(self) -> dict[str, int]:
        """Messages per state (for health checks and the tests)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(inbox.c.state, func.count()).group_by(inbox.c.state)).all()
        return {str(state): int(count) for state, count in rows}

    def depth(self) -> dict[str, int]:
        """Messages waiting (pending) and given up (failed), both always present (the metrics' inbox depth)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(inbox.c.state, func.count()).where(inbox.c.state.in_((PENDING, FAILED)))
                                .group_by(inbox.c.state)).all()
        return {PENDING: 0, FAILED: 0, **{str(state): int(count) for state, count in rows}}

    def cursor(self, open_kfid: str) -> str:
        """The saved 微信客服 sync cursor of one kf account ("" before the first page)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(kf_cursors.c.cursor).where(kf_cursors.c.open_kfid == open_kfid)).scalar()
        return str(value or "")

    def save_cursor(self, open_kfid: str, cursor: str) -> None:
        """Save the cursor once the page's messages are in the inbox (so a crash re-reads, never skips)."""
        with self.engine.begin() as conn:
            updated = conn.execute(update(kf_cursors).where(kf_cursors.c.open_kfid == open_kfid)
                                   .values(cursor=cursor, updated_at=now())).rowcount
            if not updated:
                conn.execute(insert(kf_cursors).values(open_kfid=open_kfid, cursor=cursor, updated_at=now()))


def _entry(row: Any) -> Entry:
    return Entry(id=int(row["id"]), channel=str(row["channel"]), message_id=str(row["message_id"]),
                 sender=str(row["sender"]), text=str(row["text"]), meta=dict(row["meta"] or {}),
                 attempts=int(row["attempts"]), busy_told=row["busy_told_at"] is not None, error=row["error"],
                 received_at=row["received_at"])


__all__ = ["DONE", "FAILED", "PENDING", "Entry", "Inbox"]

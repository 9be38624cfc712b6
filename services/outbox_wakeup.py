"""Waking the sender worker when a message enters the outbox, instead of polling for it.

On PostgreSQL an insert into `notifications` notifies the channel `outbox` (migration 0014); the sender LISTENs
on a connection of its own and a pass starts as soon as a message is stored. It still looks every
`outbox_listen_s` for messages due later (retries after a back-off, postponed ones). A lost connection (the
database restarted) is reopened on the next wait; meanwhile the wait is a plain pause, so nothing is missed,
only noticed later. Other databases have no notifications: `listener()` returns None and the sender polls.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "outbox"
SLICE_S = 0.5
"""Longest single wait, so that a stop request is seen within it."""


def conninfo(url: str) -> str | None:
    """libpq's connection string for a SQLAlchemy PostgreSQL `url`; None for any other database.

    >>> conninfo("postgresql+psycopg://bank@/bank?host=/tmp/pg&port=5433")
    'postgresql://bank@/bank?host=%2Ftmp%2Fpg&port=5433'
    >>> conninfo("sqlite:///var/bank.db") is None
    True
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """A LISTEN connection to the outbox channel; `wait` returns early when a message was stored."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: psycopg.Connection | None = None

    def _connect(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
            self._conn.execute(f"LISTEN {CHANNEL}")
        return self._conn

    def wait(self, timeout_s: float, stop: threading.Event) -> bool:
        """Wait up to `timeout_s` for a notification (True) or until `stop` is set; False on time-out, on stop
        and while the database cannot be reached (then it pauses as a poll would)."""
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                conn = self._connect()
                woken = any(True for _ in conn.notifies(timeout=min(left, SLICE_S), stop_after=1))
                if woken:  # the notifications already waiting: one pass serves them all
                    for _ in conn.notifies(timeout=0):
                        pass
            except psycopg.Error as error:
                log.warning("outbox wake-ups unavailable (%s): polling", type(error).__name__)
                self.close()
                stop.wait(left)
                return False
            if woken:
                return True
        return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def listener(url: str) -> Listener | None:
    """A listener for the outbox at `url` (PostgreSQL), or None where the sender has to poll."""
    dsn = conninfo(url)
    return Listener(dsn) if dsn is not None else None

"""The one clock: what "now" and "today" are for every process, and the one way tests move them.

The only module of calc/ that reads the world. Everything that needs the date calls `today()` or `now()`
here, so a test (or a demo replayed on another day) sets it once with `frozen(...)` or `CLOCK_NOW`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

_fixed: dt.datetime | None = None


def _from_env() -> dt.datetime | None:
    """`CLOCK_NOW` (ISO date or date-time) pins the clock for a whole process, e.g. a server under test."""
    raw = os.environ.get("CLOCK_NOW", "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(f"CLOCK_NOW: not an ISO date or date-time: {raw!r}") from error


def now() -> dt.datetime:
    """The current local date and time (or the pinned one).

    >>> with frozen(dt.datetime(2026, 12, 1, 9, 30)):
    ...     now()
    datetime.datetime(2026, 12, 1, 9, 30)
    """
    return _fixed or _from_env() or dt.datetime.now()


def now_in(zone: str) -> dt.datetime:
    """The current date and time in the time zone `zone` (e.g. "Asia/Shanghai"), naive; a pinned clock is taken
    as that zone's time already (tests and replayed demos state China time).

    >>> with frozen(dt.datetime(2026, 12, 1, 8, 30)):
    ...     now_in("Asia/Shanghai")
    datetime.datetime(2026, 12, 1, 8, 30)
    """
    pinned = _fixed or _from_env()
    if pinned is not None:
        return pinned
    return dt.datetime.now(ZoneInfo(zone)).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date by `now()`.

    >>> with frozen(dt.date(2026, 11, 28)):
    ...     today()
    datetime.date(2026, 11, 28)
    """
    return now().date()


@contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[None]:
    """Pin the clock at `at` (a date means its midnight) inside a `with` block."""
    global _fixed
    previous = _fixed
    _fixed = at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time())
    try:
        yield
    finally:
        _fixed = previous

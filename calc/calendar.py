"""The one calendar of working days and trading days on the Chinese mainland.

Working days are Monday to Friday, minus public holidays, plus the weekend days made working days to bridge a
holiday (调休). Trading days (SSE/SZSE, and so fund and wealth-product confirmations) are Monday to Friday minus
public holidays: exchanges stay closed on 调休 weekends. The dates come from the State Council's yearly
notice (国务院办公厅关于部分节假日安排的通知); a year not in the table counts weekdays only, so add each
new year's notice to `HOLIDAYS` and `MAKEUP_WORKDAYS` when it is published (usually in November).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator


def _span(first: str, last: str) -> set[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return {start + dt.timedelta(days=k) for k in range((end - start).days + 1)}


HOLIDAYS: frozenset[dt.date] = frozenset().union(
    # 2025 (国办发明电〔2024〕12号)
    _span("2025-01-01", "2025-01-01"), _span("2025-01-28", "2025-02-04"), _span("2025-04-04", "2025-04-06"),
    _span("2025-05-01", "2025-05-05"), _span("2025-05-31", "2025-06-02"), _span("2025-10-01", "2025-10-08"),
    # 2026 (国办发明电〔2025〕7号)
    _span("2026-01-01", "2026-01-03"), _span("2026-02-15", "2026-02-23"), _span("2026-04-04", "2026-04-06"),
    _span("2026-05-01", "2026-05-05"), _span("2026-06-19", "2026-06-21"), _span("2026-09-25", "2026-09-27"),
    _span("2026-10-01", "2026-10-07"),
)
"""Public holidays (法定节假日 and the days joined to them) by year."""

MAKEUP_WORKDAYS: frozenset[dt.date] = frozenset(dt.date.fromisoformat(d) for d in (
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
))
"""Weekend days that are working days (调休) — not trading days."""


def is_trading_day(day: dt.date) -> bool:
    """Whether the exchanges are open: a weekday that is not a public holiday.

    Examples
    --------
    >>> is_trading_day(dt.date(2026, 12, 1)), is_trading_day(dt.date(2026, 10, 5)), is_trading_day(dt.date(2026, 2, 14))
    (True, False, False)
    """
    return day.weekday() < 5 and day not in HOLIDAYS


def is_working_day(day: dt.date) -> bool:
    """Whether offices work: a trading day, or a weekend day made a working day (调休).

    Examples
    --------
    >>> is_working_day(dt.date(2026, 2, 14)), is_working_day(dt.date(2026, 2, 16)), is_working_day(dt.date(2026, 12, 5))
    (True, False, False)
    """
    return is_trading_day(day) or day in MAKEUP_WORKDAYS


def days_between(start: dt.date, end: dt.date, trading: bool = True) -> Iterator[dt.date]:
    """Trading (or working) days from `start` to `end`, both included.

    Examples
    --------
    >>> [d.day for d in days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12))]
    [30, 8, 9, 12]
    >>> len(list(days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12), trading=False)))
    5
    """
    keep = is_trading_day if trading else is_working_day
    day = start
    while day <= end:
        if keep(day):
            yield day
        day += dt.timedelta(days=1)


def next_day(day: dt.date, n: int = 1, trading: bool = True) -> dt.date:
    """The `n`-th trading (or working) day after `day` (T+n); `n` = 0 gives `day` itself if it is one, else the
    next.

    Examples
    --------
    >>> next_day(dt.date(2026, 9, 30)), next_day(dt.date(2026, 12, 4), 1), next_day(dt.date(2026, 12, 5), 0)
    (datetime.date(2026, 10, 8), datetime.date(2026, 12, 7), datetime.date(2026, 12, 7))
    """
    if n < 0:
        raise ValueError(f"n: must be 0 or more, got {n}")
    keep = is_trading_day if trading else is_working_day
    while not keep(day):
        day += dt.timedelta(days=1)
    for _ in range(n):
        day += dt.timedelta(days=1)
        while not keep(day):
            day += dt.timedelta(days=1)
    return day

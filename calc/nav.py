"""NAV series: reading a NAV file drop (CSV), spotting market events (a fall in a day or over a window), and the
demo's deterministic continuation of a series. Pure: text, dates and numbers in; rows, events and numbers out.

The CSV format (UTF-8, a BOM is tolerated, one header line, comma-separated)::

    product_code,date,nav
    MF001,2026-12-01,1.2345

`product_code` is a product's code in the catalogue, `date` an ISO date (YYYY-MM-DD) not after today, `nav` a
positive decimal with at most four decimals. A product and date appear at most once in a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

from calc.errors import CalcInputError

COLUMNS = ("product_code", "date", "nav")
NAV_DECIMALS = 4
TRADING_DAYS_A_YEAR = 250
DOMESTIC_VOL = 0.20
WORLD_VOL = 0.17


class NavRowError(CalcInputError):
    """One row (by its line in the file, the header being line 1) and field of a NAV file is invalid.

    Examples
    --------
    >>> print(NavRowError(3, "nav", "must be positive, got -1", "净值必须大于0"))
    line 3, nav: must be positive, got -1
    """

    def __init__(self, line: int, field: str, reason: str, reason_zh: str = "") -> None:
        super().__init__(field, reason, reason_zh)
        self.line = line
        self.args = (f"line {line}, {field}: {reason}",)

    def __str__(self) -> str:
        return str(self.args[0])


class NavFileError(ValueError):
    """A NAV file was rejected as a whole; `errors` names each bad row and field."""

    def __init__(self, errors: Sequence[NavRowError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class NavRow:
    """One valid row of a NAV file: product code, date, NAV (4 decimals) and its line in the file."""

    code: str
    date: dt.date
    nav: Decimal
    line: int


def parse_nav_csv(text: str, known_codes: Collection[str], today: dt.date) -> list[NavRow]:
    """The rows of a NAV file, all valid, or NavFileError listing every bad row and field.

    Parameters
    ----------
    text : str
        The file's content (see the module docstring for the format).
    known_codes : collection of str
        Product codes of the catalogue; any other code is an error.
    today : datetime.date
        NAVs dated after `today` are an error.

    Returns
    -------
    list of NavRow
        In file order.

    Raises
    ------
    NavFileError
        A missing header column, an unknown product, a bad or future date, a NAV that is not a positive decimal
        of at most four decimals, or a product and date given twice.

    Examples
    --------
    >>> rows = parse_nav_csv("product_code,date,nav\\nMF001,2026-12-01,1.2345\\n", {"MF001"}, dt.date(2026, 12, 1))
    >>> rows[0].code, rows[0].date.isoformat(), rows[0].nav
    ('MF001', '2026-12-01', Decimal('1.2345'))
    >>> parse_nav_csv("product_code,date,nav\\nXX9,2026-12-01,0\\n", {"MF001"}, dt.date(2026, 12, 1))
    Traceback (most recent call last):
    ...
    calc.nav.NavFileError: line 2, product_code: unknown product 'XX9'; line 2, nav: must be positive, got '0'
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise NavFileError([NavRowError(1, name, "missing column in the header", f"表头缺少{name}列")
                            for name in missing])
    where = {name: header.index(name) for name in COLUMNS}
    rows: list[NavRow] = []
    errors: list[NavRowError] = []
    first_seen: dict[tuple[str, dt.date], int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in where.items()}
        found = _row(line, values, known_codes, today)
        if isinstance(found, NavRow):
            key = (found.code, found.date)
            if key in first_seen:
                errors.append(NavRowError(line, "date", f"{found.code} on {found.date} repeats line {first_seen[key]}",
                                          "同一产品同一日期重复"))
            else:
                first_seen[key] = line
                rows.append(found)
        else:
            errors += found
    if errors:
        raise NavFileError(errors)
    return rows


def _row(line: int, values: dict[str, str], known_codes: Collection[str], today: dt.date) -> NavRow | list[NavRowError]:
    errors = []
    code = values["product_code"]
    if code not in known_codes:
        errors.append(NavRowError(line, "product_code", f"unknown product {code!r}", "产品代码不存在"))
    try:
        day = dt.date.fromisoformat(values["date"])
        if len(values["date"]) != 10:
            raise ValueError
    except ValueError:
        errors.append(NavRowError(line, "date", f"not a date YYYY-MM-DD: {values['date']!r}", "日期格式应为YYYY-MM-DD"))
        day = None
    if day is not None and day > today:
        errors.append(NavRowError(line, "date", f"{day} is after today ({today})", "日期不能晚于今天"))
    try:
        nav = Decimal(values["nav"])
        valid = nav.is_finite()
    except InvalidOperation:
        valid = False
    if not valid:
        errors.append(NavRowError(line, "nav", f"not a number: {values['nav']!r}", "净值应为数字"))
    elif nav <= 0:
        errors.append(NavRowError(line, "nav", f"must be positive, got {values['nav']!r}", "净值必须大于0"))
    elif -nav.as_tuple().exponent > NAV_DECIMALS:  # type: ignore[operator]
        errors.append(NavRowError(line, "nav", f"more than {NAV_DECIMALS} decimals: {values['nav']!r}",
                                  "净值最多4位小数"))
    if errors:
        return errors
    assert day is not None
    return NavRow(code, day, nav.quantize(Decimal(1).scaleb(-NAV_DECIMALS)), line)


@dataclass(frozen=True)
class NavEvent:
    """A market event on `day`: the change since the previous NAV and over the window (None when too short)."""

    day: dt.date
    day_change: float | None
    window_change: float | None
    day_fall: bool
    window_fall: bool


def nav_events(days: Sequence[dt.date], navs: Sequence[float], day_threshold: float, window_threshold: float,
               window: int = 20) -> list[NavEvent]:
    """The days of one product's NAV series on which it fell more than a threshold.

    A day fall is a change from the previous NAV of less than −`day_threshold`. A window fall is a change over
    the last `window` NAVs of less than −`window_threshold` on a day when the day before was not one already
    (the crossing is the event, so a long slide is one event, not one a day).

    .. math:: c_t = \\frac{NAV_t}{NAV_{t-1}} - 1, \\qquad w_t = \\frac{NAV_t}{NAV_{t-window}} - 1

    Parameters
    ----------
    days, navs : sequences of the same length
        The series in date order (trading days with a NAV).
    day_threshold, window_threshold : float
        Falls as positive fractions (0.03 is 3%).
    window : int
        NAVs back for the window change (20 trading days by default).

    Returns
    -------
    list of NavEvent
        Days with a day fall or a window crossing, in date order.

    Raises
    ------
    CalcInputError
        Lengths differ, a threshold is not in (0, 1), a NAV is not positive or `window` < 1.

    Examples
    --------
    >>> days = [dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6)]
    >>> [(e.day.day, round(e.day_change, 3), e.window_fall) for e in
    ...  nav_events(days, [1.0, 0.99, 0.95, 0.94, 0.90], 0.03, 0.05, window=2)]
    [(4, -0.04, True), (6, -0.043, False)]
    """
    if len(days) != len(navs):
        raise CalcInputError("navs", f"{len(navs)} NAVs for {len(days)} days", "净值与日期数量不一致")
    for name, value in (("day_threshold", day_threshold), ("window_threshold", window_threshold)):
        if not 0 < value < 1:
            raise CalcInputError(name, f"must be between 0 and 1, got {value}", "阈值应在0到1之间")
    if window < 1:
        raise CalcInputError("window", f"must be at least 1, got {window}", "窗口至少为1天")
    values = np.asarray(navs, dtype=float)
    if values.size and values.min() <= 0:
        raise CalcInputError("navs", "must be positive", "净值必须大于0")
    events = []
    was_down = False
    for t in range(1, len(values)):
        day_change = float(values[t] / values[t - 1] - 1)
        window_change = float(values[t] / values[t - window] - 1) if t >= window else None
        down = window_change is not None and window_change < -window_threshold
        day_fall, window_fall = day_change < -day_threshold, down and not was_down
        was_down = down
        if day_fall or window_fall:
            events.append(NavEvent(days[t], round(day_change, 6),
                                   None if window_change is None else round(window_change, 6), day_fall, window_fall))
    return events


def _normal(seed: int, key: str, day: dt.date) -> float:
    """A standard normal draw fixed by (seed, key, day): the same on every run, whatever ran before."""
    return float(np.random.default_rng([seed, zlib.crc32(key.encode()), day.toordinal()]).standard_normal())


def continue_series(last_nav: float, days: Sequence[dt.date], model: tuple[float, float, float, float], code: str,
                    seed: int) -> list[float]:
    """The demo's NAVs of product `code` on `days`, continuing from `last_nav`: deterministic by (seed, code, day).

    Each day's log return is the model's drift plus the product's betas times a domestic and a global factor
    shared by every product that day, plus its own noise (as the demo bank generates its histories)::

        r = drift / 250 + beta * 0.20 / sqrt(250) * z_cn + beta_world * 0.17 / sqrt(250) * z_world
            + vol / sqrt(250) * z_code

    Parameters
    ----------
    last_nav : float
        The last stored NAV (positive).
    days : sequence of datetime.date
        The days to price, in order.
    model : (drift, beta, beta_world, vol)
        Annual drift, betas to the domestic and global factors, idiosyncratic volatility.
    code, seed : str, int
        What fixes the draws.

    Returns
    -------
    list of float
        One NAV per day, rounded to four decimals.

    Examples
    --------
    >>> days = [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]
    >>> a = continue_series(1.5, days, (0.03, 0.55, 0.05, 0.07), "MF001", 42)
    >>> a == continue_series(1.5, days, (0.03, 0.55, 0.05, 0.07), "MF001", 42), len(a), all(1.3 < x < 1.7 for x in a)
    (True, 2, True)
    """
    if last_nav <= 0:
        raise CalcInputError("last_nav", f"must be positive, got {last_nav}", "净值必须大于0")
    drift, beta, beta_world, vol = model
    root = np.sqrt(TRADING_DAYS_A_YEAR)
    out, nav = [], float(last_nav)
    for day in days:
        r = (drift / TRADING_DAYS_A_YEAR + beta * DOMESTIC_VOL / root * _normal(seed, "@domestic", day)
             + beta_world * WORLD_VOL / root * _normal(seed, "@world", day) + vol / root * _normal(seed, code, day))
        nav = max(round(nav * float(np.exp(r)), NAV_DECIMALS), 10.0 ** -NAV_DECIMALS)
        out.append(nav)
    return out

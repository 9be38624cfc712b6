"""Turn the period phrases advisors type (本月, 下周, 3月, 未来7天 …) into inclusive date ranges.

Pure functions over a given `today`, so the bot and tests agree on what "this month" means. They read the first
lexicon.bounds.MAX_TEXT_CHARS characters; parse_period raises only PeriodParseError, the others never raise.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from lexicon.bounds import MAX_DIGITS, clip
from lexicon.numbers import parse_int

# A simple Chinese numeral up to 99: one digit, or tens written with 十 (十一, 二十, 三十五).
_SIMPLE_CN = re.compile(r"[一二两三四五六七八九]|[一二两三四五六七八九]?十[一二两三四五六七八九]?")


class PeriodParseError(ValueError):
    """No period phrase was recognised in `text`."""

    def __init__(self, text: str) -> None:
        text = clip(text)
        super().__init__(f"text: no period recognised in {text!r}")
        self.text = text


@dataclass(frozen=True)
class Period:
    """An inclusive date range with its Chinese label."""

    start: dt.date
    end: dt.date
    label_zh: str


def cn_number(token: str) -> int:
    """An integer from Arabic digits or simple Chinese numerals up to 99 (-1 for anything else); the value is
    read by lexicon.numbers, the one numeral parser.

    >>> cn_number("12"), cn_number("三"), cn_number("十一"), cn_number("二十"), cn_number("三十")
    (12, 3, 11, 20, 30)
    >>> cn_number("二二"), cn_number("十十"), cn_number("²"), cn_number("9" * 5000)
    (-1, -1, -1, -1)
    """
    if token.isdecimal():  # Unicode decimal digits only: int() refuses superscripts such as ² (isdigit)
        return int(token) if len(token) <= MAX_DIGITS else -1
    if not _SIMPLE_CN.fullmatch(token):
        return -1
    value = parse_int(token)
    return -1 if value is None else value


def _month(year: int, month: int, label: str) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(dt.date(year, month, 1), dt.date(year, month, last), label)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


_NUM = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"


def parse_period(text: str, today: dt.date, past: bool = False) -> Period:
    """The period named in `text`, relative to `today`; raise PeriodParseError when none is found.

    A month named without its year is the next such month (maturities lie ahead), or with `past` the latest
    one that has begun (dashboards look back).

    >>> d = dt.date(2026, 11, 28)  # a Saturday
    >>> parse_period("这个月有哪些产品到期", d)
    Period(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30), label_zh='本月')
    >>> p = parse_period("下周", d); (p.start, p.end)
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 6))
    >>> parse_period("三月", d).start, parse_period("12月", d).start
    (datetime.date(2027, 3, 1), datetime.date(2026, 12, 1))
    >>> parse_period("未来7天", d).end
    datetime.date(2026, 12, 4)
    >>> parse_period("下下周", d).start, parse_period("上周", d).start, parse_period("上个月", d).label_zh
    (datetime.date(2026, 12, 7), datetime.date(2026, 11, 16), '上月')
    >>> parse_period("3月", d, past=True).start, parse_period("11月", dt.date(2026, 12, 1), past=True).start
    (datetime.date(2026, 3, 1), datetime.date(2026, 11, 1))
    >>> parse_period("随便", d)
    Traceback (most recent call last):
    ...
    lexicon.periods.PeriodParseError: text: no period recognised in '随便'
    """
    t = clip(text).replace(" ", "")
    try:
        for rule in _RULES:
            if period := rule(t, today):
                return period
        if period := _bare_month(t, today, past):
            return period
    except PeriodParseError:
        raise PeriodParseError(text) from None
    raise PeriodParseError(text)


def _year_month(t: str, today: dt.date) -> Period | None:
    """"2027年3月"."""
    if m := re.search(r"(\d{4})年" + _NUM + "月", t):
        year, month = int(m.group(1)), cn_number(m.group(2))
        if year >= dt.MINYEAR and 1 <= month <= 12:  # "0000年3月" is no date
            return _month(year, month, f"{year}年{month}月")
    return None


def _next_days(t: str, today: dt.date) -> Period | None:
    """"未来7天", "最近30天"; fewer than one day is an error, not another phrase."""
    if m := re.search(r"(未来|最近|近|接下来)" + _NUM + r"(天|日)", t):
        days = cn_number(m.group(2))
        if days < 1:
            raise PeriodParseError(t)
        return Period(today, today + dt.timedelta(days=days - 1), f"未来{days}天")
    return None


def _day(t: str, today: dt.date) -> Period | None:
    """今天, 明天, 昨天."""
    for words, offset, label in ((("今天", "今日"), 0, "今天"), (("明天", "明日"), 1, "明天"),
                                 (("昨天", "昨日"), -1, "昨天")):
        if any(w in t for w in words):
            day = today + dt.timedelta(days=offset)
            return Period(day, day, label)
    return None


_WEEKS = ((("下下周", "下下个星期"), 14, "下下周"), (("上周", "上个星期", "上星期"), -7, "上周"),
          (("下周", "下个星期", "下星期"), 7, "下周"), (("本周", "这周", "这个星期", "本星期", "这星期"), 0, "本周"))


def _week(t: str, today: dt.date) -> Period | None:
    """本周, 上周, 下周, 下下周 (weeks start on Monday)."""
    monday = today - dt.timedelta(days=today.weekday())
    for words, offset, label in _WEEKS:
        if any(w in t for w in words):
            start = monday + dt.timedelta(days=offset)
            return Period(start, start + dt.timedelta(days=6), label)
    return None


def _relative_month(t: str, today: dt.date) -> Period | None:
    """本月, 上月, 下月."""
    if "下个月" in t or "下月" in t:
        return _month(*_add_months(today.year, today.month, 1), "下月")
    if "上个月" in t or "上月" in t:
        return _month(*_add_months(today.year, today.month, -1), "上月")
    if any(w in t for w in ("本月", "这个月", "当月", "这月")):
        return _month(today.year, today.month, "本月")
    return None


def _quarter_or_year(t: str, today: dt.date) -> Period | None:
    """本季度, 上季度, 去年, 今年."""
    first = (today.month - 1) // 3 * 3 + 1
    if "本季度" in t or "这个季度" in t or "这季度" in t:
        return Period(dt.date(today.year, first, 1), _month(*_add_months(today.year, first, 2), "").end, "本季度")
    if "上季度" in t or "上个季度" in t:
        year, month = _add_months(today.year, first, -3)
        return Period(dt.date(year, month, 1), _month(*_add_months(year, month, 2), "").end, "上季度")
    if "去年" in t:
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), "去年")
    if "今年" in t or "本年" in t:
        return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31), "今年")
    return None


def _bare_month(t: str, today: dt.date, past: bool) -> Period | None:
    """"3月": the next such month, or with `past` the latest one that has begun."""
    if m := re.search(_NUM + "月", t):
        month = cn_number(m.group(1))
        if 1 <= month <= 12:
            if past:
                year = today.year if month <= today.month else today.year - 1
            else:
                year = today.year if month >= today.month else today.year + 1
            return _month(year, month, f"{year}年{month}月")
    return None


# Tried in order: the first phrase found names the period.
_RULES: tuple[Callable[[str, dt.date], Period | None], ...] = (
    _year_month, _next_days, _day, _week, _relative_month, _quarter_or_year)


def period_so_far(text: str, today: dt.date) -> Period:
    """The period a dashboard question names, cut at `today`; this month so far when none is named or it lies
    ahead (a month without its year is the latest one that has begun).

    >>> d = dt.date(2026, 11, 28)
    >>> period_so_far("团队数据", d)
    Period(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 28), label_zh='本月')
    >>> p = period_so_far("我这个季度的业绩", d); (p.start, p.end)
    (datetime.date(2026, 10, 1), datetime.date(2026, 11, 28))
    >>> period_so_far("上个月", d).end, period_so_far("下个月", d).label_zh
    (datetime.date(2026, 10, 31), '本月')
    """
    this_month = Period(today.replace(day=1), today, "本月")
    try:
        period = parse_period(text, today, past=True)
    except PeriodParseError:
        return this_month
    if period.start > today:
        return this_month
    return Period(period.start, min(period.end, today), period.label_zh)

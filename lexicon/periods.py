"""Turn the period phrases advisors type (本月, 下周, 3月, 未来7天 …) into inclusive date ranges.

Pure functions over a given `today`, so the bot and tests agree on what "this month" means.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


class PeriodParseError(ValueError):
    """No period phrase was recognised in `text`."""

    def __init__(self, text: str) -> None:
        super().__init__(f"text: no period recognised in {text!r}")
        self.text = text


@dataclass(frozen=True)
class Period:
    """An inclusive date range with its Chinese label."""

    start: dt.date
    end: dt.date
    label_zh: str


def cn_number(token: str) -> int:
    """An integer from Arabic digits or simple Chinese numerals up to 99.

    >>> cn_number("12"), cn_number("三"), cn_number("十一"), cn_number("二十"), cn_number("三十")
    (12, 3, 11, 20, 30)
    >>> cn_number("二二"), cn_number("十十")
    (-1, -1)
    """
    if token.isdigit():
        return int(token)
    if any(ch not in CN_DIGITS for ch in token) or token.count("十") > 1:
        return -1
    if "十" in token:
        tens, _, ones = token.partition("十")
        return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)
    return CN_DIGITS[token] if len(token) == 1 else -1


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
    t = text.replace(" ", "")
    if m := re.search(r"(\d{4})年" + _NUM + "月", t):
        year, month = int(m.group(1)), cn_number(m.group(2))
        if 1 <= month <= 12:
            return _month(year, month, f"{year}年{month}月")
    if m := re.search(r"(未来|最近|近|接下来)" + _NUM + r"(天|日)", t):
        days = cn_number(m.group(2))
        if days < 1:
            raise PeriodParseError(text)
        return Period(today, today + dt.timedelta(days=days - 1), f"未来{days}天")
    if "今天" in t or "今日" in t:
        return Period(today, today, "今天")
    if "明天" in t or "明日" in t:
        tomorrow = today + dt.timedelta(days=1)
        return Period(tomorrow, tomorrow, "明天")
    if "昨天" in t or "昨日" in t:
        yesterday = today - dt.timedelta(days=1)
        return Period(yesterday, yesterday, "昨天")
    monday = today - dt.timedelta(days=today.weekday())
    if "下下周" in t or "下下个星期" in t:
        start = monday + dt.timedelta(days=14)
        return Period(start, start + dt.timedelta(days=6), "下下周")
    if "上周" in t or "上个星期" in t or "上星期" in t:
        start = monday - dt.timedelta(days=7)
        return Period(start, start + dt.timedelta(days=6), "上周")
    if "下周" in t or "下个星期" in t or "下星期" in t:
        start = monday + dt.timedelta(days=7)
        return Period(start, start + dt.timedelta(days=6), "下周")
    if any(w in t for w in ("本周", "这周", "这个星期", "本星期", "这星期")):
        return Period(monday, monday + dt.timedelta(days=6), "本周")
    if "下个月" in t or "下月" in t:
        return _month(*_add_months(today.year, today.month, 1), "下月")
    if "上个月" in t or "上月" in t:
        return _month(*_add_months(today.year, today.month, -1), "上月")
    if any(w in t for w in ("本月", "这个月", "当月", "这月")):
        return _month(today.year, today.month, "本月")
    if "本季度" in t or "这个季度" in t or "这季度" in t:
        first = (today.month - 1) // 3 * 3 + 1
        start = dt.date(today.year, first, 1)
        end = _month(*_add_months(today.year, first, 2), "").end
        return Period(start, end, "本季度")
    if "上季度" in t or "上个季度" in t:
        first = (today.month - 1) // 3 * 3 + 1
        year, month = _add_months(today.year, first, -3)
        return Period(dt.date(year, month, 1), _month(*_add_months(year, month, 2), "").end, "上季度")
    if "去年" in t:
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), "去年")
    if "今年" in t or "本年" in t:
        return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31), "今年")
    if m := re.search(_NUM + "月", t):
        month = cn_number(m.group(1))
        if 1 <= month <= 12:
            if past:
                year = today.year if month <= today.month else today.year - 1
            else:
                year = today.year if month >= today.month else today.year + 1
            return _month(year, month, f"{year}年{month}月")
    raise PeriodParseError(text)


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

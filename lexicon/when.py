"""Days and clock times in chat wording: "下周三回访" → a date, "每天9点提醒我" → 09:00.

Pure functions over a given `today`; none of them raises for any text (None when nothing is recognised).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from lexicon.bounds import clip
from lexicon.periods import cn_number

WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_NUM = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"
_WEEKDAY = re.compile(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天末])")
_MONTH_DAY = re.compile(_NUM + r"月" + _NUM + r"[日号]")
_DAY_OF_MONTH = re.compile(r"(?<![月\d])" + _NUM + r"[号]")
_IN_DAYS = re.compile(_NUM + r"天(?:后|之后|以后)")
_RELATIVE = (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0), ("今日", 0))
_CLOCK = re.compile(r"(早上|上午|中午|下午|晚上)?" + r"(\d{1,2}|[一二两三四五六七八九十]{1,3})" +
                    r"(?:[点:：时])(半|一刻|(\d{1,2}|[一二三四五六七八九十]{1,3})分?)?")


def _weekday(text: str, today: dt.date) -> dt.date | None:
    if not (m := _WEEKDAY.search(text)):
        return None
    prefix, name = m.group(1) or "", WEEKDAYS[m.group(2)]
    monday = today - dt.timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + dt.timedelta(days=14 + name)
    if prefix.startswith("下"):
        return monday + dt.timedelta(days=7 + name)
    day = monday + dt.timedelta(days=name)
    if prefix:  # 这周三, 本周五: this week's (none when it has passed)
        return day if day >= today else None
    return day if day > today else day + dt.timedelta(days=7)  # bare 周三: the next one


def _month_day(text: str, today: dt.date) -> dt.date | None:
    if m := _MONTH_DAY.search(text):
        month, day = cn_number(m.group(1)), cn_number(m.group(2))
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    elif m := _DAY_OF_MONTH.search(text):
        month, day = today.month, cn_number(m.group(1))
        year = today.year
        if day < today.day:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        return None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return dt.date(year, month, day)


def _month_words(text: str, today: dt.date) -> dt.date | None:
    last = calendar.monthrange(today.year, today.month)[1]
    if "月底" in text or "月末" in text:
        if "下个月" in text or "下月" in text:
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        return dt.date(today.year, today.month, last)
    if "下个月" in text or "下月" in text:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    if "下周" in text or "下星期" in text or "下个星期" in text:
        return today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
    return None


def day_named(text: str, today: dt.date) -> dt.date | None:
    """The day a next step names ("下周三回访", "明天再约", "12月5日", "3天后", "月底"), or None.

    A weekday alone is the next such day; 下周 alone is next Monday; 下个月 the same day next month.

    >>> d = dt.date(2026, 12, 1)  # a Tuesday
    >>> day_named("下周三回访", d), day_named("周五再打个电话", d), day_named("周一", d)
    (datetime.date(2026, 12, 9), datetime.date(2026, 12, 4), datetime.date(2026, 12, 7))
    >>> day_named("明天约面谈", d), day_named("3天后跟进", d), day_named("12月15日来网点", d)
    (datetime.date(2026, 12, 2), datetime.date(2026, 12, 4), datetime.date(2026, 12, 15))
    >>> day_named("月底前发资料", d), day_named("下个月再联系", d), day_named("下周再约", d)
    (datetime.date(2026, 12, 31), datetime.date(2027, 1, 1), datetime.date(2026, 12, 7))
    >>> day_named("5号回访", d), day_named("1月3号", d), day_named("改天再聊", d), day_named("2月30日", d)
    (datetime.date(2026, 12, 5), datetime.date(2027, 1, 3), None, None)
    """
    t = clip(text).replace(" ", "")
    for word, offset in _RELATIVE:
        if word in t:
            return today + dt.timedelta(days=offset)
    if m := _IN_DAYS.search(t):
        days = cn_number(m.group(1))
        return today + dt.timedelta(days=days) if days >= 0 else None
    return _weekday(t, today) or _month_day(t, today) or _month_words(t, today)


def clock_time(text: str) -> dt.time | None:
    """The time of day a message names ("每天9点", "八点半", "下午2点", "8:45", "7点15分"), or None.

    >>> clock_time("每天9点提醒我"), clock_time("改成八点半"), clock_time("下午2点"), clock_time("8:45")
    (datetime.time(9, 0), datetime.time(8, 30), datetime.time(14, 0), datetime.time(8, 45))
    >>> clock_time("七点一刻"), clock_time("早上7点15分"), clock_time("明天不用提醒"), clock_time("25点")
    (datetime.time(7, 15), datetime.time(7, 15), None, None)
    """
    m = _CLOCK.search(clip(text).replace(" ", ""))
    if not m:
        return None
    hour = cn_number(m.group(2))
    if m.group(1) in ("下午", "晚上") and 1 <= hour < 12:
        hour += 12
    minute = 0
    if m.group(3) == "半":
        minute = 30
    elif m.group(3) == "一刻":
        minute = 15
    elif m.group(4):
        minute = cn_number(m.group(4))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)

"""lexicon.when: next-step days and clock times never raise, and land where an advisor means them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexicon.when import clock_time, day_named

TUESDAY = dt.date(2026, 12, 1)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 1)))
def test_any_text_gives_a_day_not_before_today_or_none(text: str, today: dt.date) -> None:
    day = day_named(text, today)
    assert day is None or day >= today


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789一二两三四五六七八九十点半刻分:：上下午晚早每天", max_size=12))
def test_any_clock_wording_gives_a_valid_time_or_none(text: str) -> None:
    assert clock_time(text) is None or isinstance(clock_time(text), dt.time)


@pytest.mark.parametrize(("text", "day"), [
    ("下周三回访", dt.date(2026, 12, 9)), ("下下周一再约", dt.date(2026, 12, 14)), ("周二再打", dt.date(2026, 12, 8)),
    ("这周五面谈", dt.date(2026, 12, 4)), ("大后天来网点", dt.date(2026, 12, 4)), ("十天后跟进", dt.date(2026, 12, 11)),
    ("12月31日前发资料", dt.date(2026, 12, 31)), ("下个月底复盘", dt.date(2027, 1, 31)),
])
def test_next_step_days(text: str, day: dt.date) -> None:
    assert day_named(text, TUESDAY) == day


def test_the_day_of_the_month_already_past_is_next_month_s() -> None:
    assert day_named("1号回访", dt.date(2026, 12, 15)) == dt.date(2027, 1, 1)


@pytest.mark.parametrize(("text", "at"), [
    ("每天9点提醒我", dt.time(9)), ("晚上8点", dt.time(20)), ("中午12点", dt.time(12)), ("九点四十五分", dt.time(9, 45)),
])
def test_clock_times(text: str, at: dt.time) -> None:
    assert clock_time(text) == at


def test_this_week_s_day_that_has_passed_is_no_day() -> None:
    assert day_named("这周一回访", TUESDAY) is None

"""The period phrases advisors use, as a table against a fixed today (Saturday 2026-11-28)."""

from __future__ import annotations

import datetime as dt

import pytest

from lexicon.periods import PeriodParseError, parse_period

D = dt.date
TODAY = D(2026, 11, 28)

TABLE = [
    ("今天", D(2026, 11, 28), D(2026, 11, 28)),
    ("明天有哪些到期", D(2026, 11, 29), D(2026, 11, 29)),
    ("本周", D(2026, 11, 23), D(2026, 11, 29)),
    ("这周", D(2026, 11, 23), D(2026, 11, 29)),
    ("下周", D(2026, 11, 30), D(2026, 12, 6)),
    ("本月", D(2026, 11, 1), D(2026, 11, 30)),
    ("这个月有哪些产品到期", D(2026, 11, 1), D(2026, 11, 30)),
    ("下个月", D(2026, 12, 1), D(2026, 12, 31)),
    ("下月", D(2026, 12, 1), D(2026, 12, 31)),
    ("3月", D(2027, 3, 1), D(2027, 3, 31)),
    ("三月", D(2027, 3, 1), D(2027, 3, 31)),
    ("十二月", D(2026, 12, 1), D(2026, 12, 31)),
    ("11月", D(2026, 11, 1), D(2026, 11, 30)),
    ("2月", D(2027, 2, 1), D(2027, 2, 28)),
    ("2027年1月", D(2027, 1, 1), D(2027, 1, 31)),
    ("2028年2月", D(2028, 2, 1), D(2028, 2, 29)),
    ("未来7天", D(2026, 11, 28), D(2026, 12, 4)),
    ("最近30天", D(2026, 11, 28), D(2026, 12, 27)),
    ("本季度", D(2026, 10, 1), D(2026, 12, 31)),
    ("今年", D(2026, 1, 1), D(2026, 12, 31)),
]


@pytest.mark.parametrize(("text", "start", "end"), TABLE)
def test_phrases(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text, TODAY)
    assert (period.start, period.end) == (start, end)
    assert period.label_zh


def test_december_rolls_next_year() -> None:
    assert parse_period("下个月", D(2026, 12, 15)).start == D(2027, 1, 1)
    assert parse_period("本季度", D(2026, 2, 1)).end == D(2026, 3, 31)


@pytest.mark.parametrize("text", ["", "随便看看", "13月", "二二月", "未来0天", "上辈子"])
def test_unrecognised_text_names_itself(text: str) -> None:
    with pytest.raises(PeriodParseError) as info:
        parse_period(text, TODAY)
    assert isinstance(info.value, ValueError) and repr(text) in str(info.value)

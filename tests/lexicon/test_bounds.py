"""Every reader in lexicon/ takes any text: it gives no value or a bounded one and never raises (issue 13, item 6).

Before the bounds, "把稳健组合推给于蓉 每人999999999999999999999999999元" raised decimal.InvalidOperation in
parse_amount and a 400-digit age raised OverflowError, and the action server answered 500.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexicon import checkup, names, numbers, periods, plans, statements
from lexicon.bounds import MAX_DIGITS, MAX_MAGNITUDE, MAX_TEXT_CHARS, clip

HOSTILE = ["9" * 400, "9" * 400 + "岁", "1e999", "NaN", "nan", "inf", "-inf", "∞", "一亿亿亿亿亿亿亿亿", "亿" * 600,
           "百分之" + "9" * 400, "百分之三点十", "百分之点", "0000年3月", "²", "٣月", "𝟗" * 30, "9" * 5000 + "年",
           "每人999999999999999999999999999元", "-" * 300 + "5", "0." + "0" * 400 + "1", "1" + "0" * 30 + "%",
           "", " ", "\x00", "\ud800"]
"""The inputs the issue names, and their cousins: huge digit runs, float words, stacked units, odd digits."""
PIECES = [*"0123456789０１２３４５６７８９.．,，%％-—负点零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿kKwWe∞²",
          "百分之", "岁", "周岁", "年", "个月", "月", "天", "个点", "元", "块", "尾号", "手机", "张伟", "欧阳娜", "存款", "理财",
          "股票", "医疗", "重疾", "没有", "收入", "开销", "孩子", "今年", "下周", "本月", "未来", "最近", "2027年", "稳健",
          "一开始", "每月存", "确认", "不", "？", "、", "。", " ", "\n", "NaN", "inf", "1e999"]
TEXTS = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
    st.builds(lambda piece, times: piece * times, st.sampled_from(PIECES), st.integers(1, 3000)),
    st.sampled_from(HOSTILE),
)
TODAY = dt.date(2026, 11, 28)
FIELDS = tuple(checkup.READERS)


def in_bounds(value: float | Decimal) -> bool:
    return math.isfinite(value) and abs(value) <= MAX_MAGNITUDE


def check_float(value: Any) -> None:
    assert value is None or (isinstance(value, float) and in_bounds(value)), value


def check_int(value: Any) -> None:
    assert value is None or (type(value) is int and abs(value) <= MAX_MAGNITUDE), value


def check_amount(value: Any) -> None:
    assert value is None or (isinstance(value, Decimal) and value.as_tuple().exponent == -2 and in_bounds(value))


def check_reading(value: Any) -> None:
    """A check-up field's value: None, INVALID, a bounded number or {kind: bounded yuan}."""
    if isinstance(value, dict):
        assert all(isinstance(v, float) and in_bounds(v) for v in value.values()), value
    elif value != checkup.INVALID:
        check_float(value)


def check_numbers(text: str) -> None:
    """Every reader of lexicon.numbers on `text`: None or a value within the bounds, and no exception."""
    check_float(numbers.parse_number(text))
    check_int(numbers.parse_int(text))
    check_amount(numbers.parse_amount(text))
    check_int(numbers.parse_age(text))
    check_int(numbers.parse_years(text))
    check_float(numbers.parse_percent(text))
    assert numbers.yes_no(text) in (True, False, None)
    assert isinstance(numbers.says_none(text), bool)
    assert isinstance(numbers.amount_beyond_bounds(text), bool)


bounded_everywhere = settings(max_examples=150, deadline=None)


class TestNumbers:
    @bounded_everywhere
    @given(TEXTS)
    def test_every_reader_gives_none_or_a_bounded_value(self, text: str) -> None:
        check_numbers(text)

    @pytest.mark.parametrize("text", HOSTILE)
    def test_hostile_inputs(self, text: str) -> None:
        check_numbers(text)


class TestRegressions:
    """The crash cases of issue 13, named after the bug."""

    def test_27_digit_amount_is_no_value_not_invalid_operation(self) -> None:
        text = "把稳健组合推给于蓉 每人999999999999999999999999999元"
        assert numbers.parse_amount(text) is None and numbers.amount_beyond_bounds(text)

    def test_400_digit_age_is_no_value_not_overflow(self) -> None:
        assert numbers.parse_age("9" * 400) is None and numbers.parse_age("我" + "9" * 400 + "岁") is None
        assert numbers.parse_years("9" * 400 + "年") is None and numbers.parse_int("9" * 400) is None

    def test_an_implausible_age_is_not_replaced_by_a_later_number(self) -> None:
        assert numbers.parse_age("我" + "9" * 20 + "岁，两个孩子") is None

    def test_percent_with_odd_decimals_is_no_value_not_value_error(self) -> None:
        assert numbers.parse_percent("百分之三点十") is None and numbers.parse_percent("百分之三点五") == 0.035

    def test_year_zero_is_no_date_not_value_error(self) -> None:
        assert periods.parse_period("0000年3月", TODAY).start == dt.date(2027, 3, 1)  # read as the bare month
        assert periods.cn_number("²") == -1

    def test_check_up_age_of_400_digits_is_asked_again(self) -> None:
        assert checkup.read_field("age", "9" * 400, "age") == checkup.INVALID

    def test_absurd_cover_is_asked_again_not_replaced_by_the_default(self) -> None:
        assert checkup.parse_by_kind("有百万医疗", checkup.INSURANCE_WORDS, {"medical": checkup.MEDICAL_DEFAULT})
        assert checkup.parse_by_kind("医疗保额" + "9" * 30, checkup.INSURANCE_WORDS,
                                     {"medical": checkup.MEDICAL_DEFAULT}) is None


class TestBounds:
    @pytest.mark.parametrize(("text", "yuan"), [("十万亿", 10**13), ("一万亿", 10**12), ("9" * 13, 10**13 - 1),
                                                ("5000000000000.5元", "5000000000000.50"), ("每人50亿", 5 * 10**9)])
    def test_large_amounts_up_to_the_magnitude_are_read(self, text: str, yuan: int | str) -> None:
        assert numbers.parse_amount(text) == Decimal(yuan)

    @pytest.mark.parametrize("text", ["一百万亿", "10000000000001", "1" + "0" * 14, "两亿亿", "-" + "9" * 14])
    def test_beyond_the_magnitude_is_no_value(self, text: str) -> None:
        assert numbers.parse_amount(text) is None and numbers.parse_number(text) is None

    def test_digits_beyond_the_limit_are_no_value(self) -> None:
        assert numbers.parse_number("0." + "1" * MAX_DIGITS) == float("0." + "1" * MAX_DIGITS)
        assert numbers.parse_number("0." + "1" * (MAX_DIGITS + 1)) is None
        assert numbers.parse_number("0" * 100 + "5") == 5.0  # leading zeros are not significant

    def test_only_the_first_characters_are_read(self) -> None:
        assert numbers.parse_amount("好" * MAX_TEXT_CHARS + "5万") is None
        assert numbers.parse_amount("好" * (MAX_TEXT_CHARS - 10) + "5万") == Decimal(50000)

    def test_a_number_cut_by_the_limit_is_dropped_not_read_short(self) -> None:
        text = "好" * (MAX_TEXT_CHARS - 2) + "123456元"
        assert clip(text) == "好" * (MAX_TEXT_CHARS - 2) and numbers.parse_amount(text) is None

    def test_a_million_characters_are_read_as_fast_as_five_hundred(self) -> None:
        assert numbers.parse_amount("9" * 1_000_000) is None
        assert checkup.read_field("assets", "存款" * 500_000, "assets") == checkup.INVALID


class TestOtherReaders:
    @bounded_everywhere
    @given(TEXTS, st.sampled_from(FIELDS), st.sampled_from([*FIELDS, None]), st.booleans())
    def test_check_up_readers(self, text: str, field: str, asked: str | None, off_form: bool) -> None:
        check_reading(checkup.read_field(field, text, asked, off_form=off_form))
        for words, default in ((checkup.ASSET_WORDS, None), (checkup.INSURANCE_WORDS,
                                                             {"medical": checkup.MEDICAL_DEFAULT})):
            found = checkup.parse_by_kind(text, words, default)
            assert found is None or all(isinstance(v, Decimal) and in_bounds(v) for v in found.values())
        check_int(checkup.parse_dependants(text))
        assert isinstance(checkup.names_any_field(text), bool) and isinstance(checkup.looks_like_question(text), bool)
        assert all(len(c) <= MAX_TEXT_CHARS for c in checkup.clauses(text))

    @bounded_everywhere
    @given(TEXTS, st.sampled_from(list(plans.FIELD_WORDS)), st.booleans(), st.booleans())
    def test_plan_readers(self, text: str, slot: str, zero_words: bool, named: bool) -> None:
        for kind in plans.PARSERS:
            value = plans.read_value(kind, text, zero_words=zero_words, keywords=plans.FIELD_WORDS[slot], named=named)
            if kind == "mix":
                assert value in (None, 0.0, *plans.MIX_WORDS.values())
            else:  # an int for age and years, a float for amount and percent; 0.0 for "没有" with zero_words
                assert value is None or (isinstance(value, int | float) and in_bounds(value)), value

    @bounded_everywhere
    @given(TEXTS, st.booleans())
    def test_period_readers(self, text: str, past: bool) -> None:
        try:
            period = periods.parse_period(text, TODAY, past=past)
        except periods.PeriodParseError as error:
            assert len(error.text) <= MAX_TEXT_CHARS  # the message does not carry a megabyte of chat
        else:
            assert period.start <= period.end and period.label_zh
        so_far = periods.period_so_far(text, TODAY)
        assert so_far.start <= so_far.end <= TODAY
        assert -1 <= periods.cn_number(text) < 10**MAX_DIGITS

    @bounded_everywhere
    @given(TEXTS, st.lists(st.sampled_from(["张伟", "王芳", "张伟华", "欧阳娜", "于蓉"]), max_size=5))
    def test_name_and_statement_readers(self, text: str, known: list[str]) -> None:
        guessed = names.guess_name(text)
        assert guessed is None or 2 <= len(guessed) <= 4
        name, tail = names.split_phone_tail(text)
        assert isinstance(name, str) and (tail is None or len(tail) == 4)
        assert all(any(n.startswith(k) for k in known) for n in names.names_listed(text, known))
        assert statements.statement_period(text) in {None, *(period for period, _ in statements.PERIOD_WORDS)}

    @pytest.mark.parametrize("text", HOSTILE)
    def test_hostile_inputs_through_every_reader(self, text: str) -> None:
        for field in FIELDS:
            check_reading(checkup.read_field(field, text, field))
        for kind in plans.PARSERS:
            plans.read_value(kind, text, zero_words=True)
        periods.period_so_far(text, TODAY)
        names.guess_name(text), names.names_listed(text, ["于蓉"]), statements.statement_period(text)

"""lexicon/numbers.py: amounts, ages, years and rates in the forms people type them."""

from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexicon.numbers import parse_age, parse_amount, parse_percent, parse_years, yes_no


class TestParseAmount:
    @pytest.mark.parametrize(("text", "yuan"), [
        ("2万5", "25000"), ("两万五", "25000"), ("25000元", "25000"), ("50w", "500000"), ("50W", "500000"),
        ("一百二十万", "1200000"), ("3千", "3000"), ("1.5万", "15000"), ("5k", "5000"), ("三千五", "3500"),
        ("一万二", "12000"), ("1万2000", "12000"), ("2万零5", "20005"), ("８０００块", "8000"),
        ("1,200,000元", "1200000"), ("大概八十万吧", "800000"), ("月收入3万5", "35000"), ("一亿", "100000000"),
        ("每个月五千左右", "5000"), ("不对，收入是3万", "30000"), ("我35岁，月收入2万", "20000"),
    ])
    def test_common_forms(self, text: str, yuan: str) -> None:
        assert parse_amount(text) == Decimal(yuan).quantize(Decimal("0.01"))

    @pytest.mark.parametrize("text", ["十年", "35岁", "3%", "没有", "两个孩子", "一下", "稍等一下"])
    def test_not_an_amount(self, text: str) -> None:
        assert parse_amount(text) is None

    def test_negative_is_kept_so_the_form_can_refuse_it(self) -> None:
        assert parse_amount("-5") == Decimal("-5.00") and parse_amount("负五千") == Decimal("-5000.00")

    @given(st.integers(min_value=1, max_value=10**9))
    def test_arabic_round_trip(self, n: int) -> None:
        assert parse_amount(f"{n}元") == Decimal(n)

    @given(st.integers(min_value=1, max_value=10**8 - 1))
    def test_chinese_numerals_round_trip(self, n: int) -> None:
        assert parse_amount(cn2an.an2cn(n)) == Decimal(n)


class TestOtherNumbers:
    @pytest.mark.parametrize(("text", "age"), [("35", 35), ("三十五岁", 35), ("我今年42了", 42), ("300岁", 300)])
    def test_age(self, text: str, age: int) -> None:
        assert parse_age(text) == age

    @pytest.mark.parametrize(("text", "years"), [("10年", 10), ("二十年后", 20), ("5", 5), ("存十五年", 15)])
    def test_years(self, text: str, years: int) -> None:
        assert parse_years(text) == years

    @pytest.mark.parametrize(("text", "rate"), [
        ("3%", 0.03), ("３％", 0.03), ("百分之二点五", 0.025), ("3个点", 0.03), ("收益改成5", 0.05), ("0.04", 0.04),
    ])
    def test_percent(self, text: str, rate: float) -> None:
        assert parse_percent(text) == pytest.approx(rate)

    @pytest.mark.parametrize(("text", "answer"), [
        ("确认", True), ("好的", True), ("可以", True), ("不用了", False), ("不是", False), ("算了", False),
        ("暂不", False), ("明天再说", None),
    ])
    def test_yes_no(self, text: str, answer: bool | None) -> None:
        assert yes_no(text) is answer

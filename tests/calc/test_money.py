"""calc.money: exact yuan for balances, the spoken style for recommendations and ranges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calc.money import fmt_approx, fmt_range, fmt_wan, fmt_yuan, round_yuan

AMOUNTS = st.floats(min_value=0, max_value=1e11, allow_nan=False, allow_infinity=False)


def spoken_value(text: str) -> float:
    """Read back what fmt_wan says ("3.1万" → 31000)."""
    for unit, size in (("亿", 1e8), ("万", 1e4)):
        if text.endswith(unit):
            return float(text[:-1]) * size
    return float(text)


class TestFmtYuan:
    def test_exact_to_the_fen_half_up(self) -> None:
        assert fmt_yuan(1234.565) == "1,234.57元" and fmt_yuan(0.005) == "0.01元" and fmt_yuan(-0.004) == "-0.00元"

    def test_without_unit_for_tables(self) -> None:
        assert fmt_yuan(27837400, unit=False) == "27,837,400.00"

    @given(AMOUNTS)
    def test_reads_back_to_the_rounded_amount(self, amount: float) -> None:
        assert Decimal(fmt_yuan(amount, unit=False).replace(",", "")) == round_yuan(amount)


class TestFmtWan:
    @pytest.mark.parametrize(("amount", "said"), [
        (31131.63, "3.1万"), (62263.26, "6.2万"), (800000.20, "80万"), (831131.83, "83万"), (3456, "3500"),
        (9999, "1万"), (99_999_999, "1亿"), (150_000_000, "1.5亿"), (0.4, "0.4"), (0, "0"), (-25000, "-2.5万"),
    ])
    def test_two_significant_digits_in_wan_and_yi(self, amount: float, said: str) -> None:
        assert fmt_wan(amount) == said

    def test_more_digits_when_asked(self) -> None:
        assert fmt_wan(1_250_000, digits=4) == "125万" and fmt_wan(1_234_567, digits=3) == "123万"

    @given(st.floats(min_value=1, max_value=1e11, allow_nan=False))
    def test_within_half_a_unit_of_the_second_digit(self, amount: float) -> None:
        said = spoken_value(fmt_wan(amount))
        assert abs(said - amount) <= 0.05 * amount + 1e-9

    @given(AMOUNTS, AMOUNTS)
    def test_keeps_order(self, a: float, b: float) -> None:
        low, high = sorted((a, b))
        assert spoken_value(fmt_wan(low)) <= spoken_value(fmt_wan(high))


class TestFmtRange:
    def test_the_issues_examples(self) -> None:
        assert f"建议{fmt_range(31131.63, 62263.26)}" == "建议3.1万–6.2万元"
        assert fmt_range(800000.20, 831131.83) == "80万–83万元"

    def test_one_figure_when_both_ends_round_alike(self) -> None:
        assert fmt_range(5000, 5020) == "约5000元" and fmt_approx(31131.63) == "3.1万元"

    def test_refuses_a_reversed_range_naming_the_field(self) -> None:
        with pytest.raises(ValueError, match="high"):
            fmt_range(2, 1)

"""Small validators shared by calc/ modules: each raises CalcInputError naming the field."""

from __future__ import annotations

import math

from calc.errors import CalcInputError


def finite(field: str, value: float, zh: str = "") -> float:
    """Return `value` as float, or raise when it is NaN, infinite or not a number.

    >>> finite("income", 3)
    3.0
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CalcInputError(field, f"must be a number, got {value!r}", zh or f"{field}应为数字") from None
    if not math.isfinite(number):
        raise CalcInputError(field, f"must be finite, got {value!r}", zh or f"{field}应为有效数字")
    return number


def in_range(field: str, value: float, low: float, high: float, zh: str = "") -> float:
    """Return `value` when low <= value <= high, else raise with the expected range.

    >>> in_range("age", 35, 18, 100)
    35.0
    """
    number = finite(field, value, zh)
    if not low <= number <= high:
        raise CalcInputError(field, f"must be between {low:g} and {high:g}, got {number:g}",
                             zh or f"{field}应在{low:g}到{high:g}之间")
    return number


def non_negative(field: str, value: float, zh: str = "") -> float:
    """Return `value` when it is >= 0, else raise.

    >>> non_negative("expenses", 0)
    0.0
    """
    number = finite(field, value, zh)
    if number < 0:
        raise CalcInputError(field, f"must not be negative, got {number:g}", zh or f"{field}不能为负数")
    return number

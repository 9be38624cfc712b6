"""Presentation of amounts and rates: yuan with two decimals, rates as percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_yuan(amount: float) -> Decimal:
    """Round an amount in yuan half-up to fen (two decimals).

    >>> round_yuan(1234.565)
    Decimal('1234.57')
    """
    return Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def fmt_yuan(amount: float) -> str:
    """Format yuan with thousands separators and two decimals.

    >>> fmt_yuan(12345.678), fmt_yuan(-50)
    ('12,345.68元', '-50.00元')
    """
    return f"{round_yuan(amount):,.2f}元"


def fmt_pct(rate: float, digits: int = 2) -> str:
    """Format a fraction as a percentage.

    >>> fmt_pct(0.0523), fmt_pct(-0.1, 1)
    ('5.23%', '-10.0%')
    """
    return f"{rate * 100:.{digits}f}%"

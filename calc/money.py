"""Presentation of amounts and rates: yuan with two decimals, rates as percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_yuan(amount: float) -> Decimal:
    """Round an amount in yuan half-up to fen (two decimals).

    >>> round_yuan(1234.565)
    Decimal('1234.57')
    """
    return Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def fmt_yuan(amount: float, unit: bool = True) -> str:
    """Format yuan exactly to the fen, with thousands separators (balances, orders, transactions); `unit`
    False leaves out 元 for tables whose heading names it.

    >>> fmt_yuan(12345.678), fmt_yuan(-50), fmt_yuan(27837400, unit=False)
    ('12,345.68元', '-50.00元', '27,837,400.00')
    """
    return f"{round_yuan(amount):,.2f}" + ("元" if unit else "")


def fmt_pct(rate: float, digits: int = 2) -> str:
    """Format a fraction as a percentage.

    >>> fmt_pct(0.0523), fmt_pct(-0.1, 1)
    ('5.23%', '-10.0%')
    """
    return f"{rate * 100:.{digits}f}%"


def fmt_share(weight: float) -> str:
    """A weight as a person says it, to at most two decimals of a percent and no trailing zeros.

    >>> fmt_share(0.45), fmt_share(0.125), fmt_share(0), fmt_share(1 / 3)
    ('45%', '12.5%', '0%', '33.33%')
    """
    return _plain(Decimal(f"{weight * 100:.2f}")) + "%"


def _significant(amount: float, digits: int) -> Decimal:
    """`amount` rounded half-up to `digits` significant digits (0 stays 0)."""
    value = Decimal(repr(float(amount)))
    if value == 0:
        return Decimal(0)
    exponent = value.copy_abs().adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: 3.10 -> '3.1', 8E+1 -> '80'."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_wan(amount: float, digits: int = 2) -> str:
    """An amount the way a person says it: `digits` significant digits, in 万 from ten thousand, 亿 from a
    hundred million, without a unit of yuan (recommendations, targets and ranges; never balances).

    >>> fmt_wan(31131.63), fmt_wan(62263.26), fmt_wan(800000.20), fmt_wan(831131.83), fmt_wan(3456)
    ('3.1万', '6.2万', '80万', '83万', '3500')
    >>> fmt_wan(123456789), fmt_wan(-25000), fmt_wan(0), fmt_wan(1234567, digits=3)
    ('1.2亿', '-2.5万', '0', '123万')
    """
    value = _significant(amount, digits)
    size = value.copy_abs()
    if size >= Decimal("1e8"):
        return _plain(value / Decimal("1e8")) + "亿"
    if size >= Decimal("1e4"):
        return _plain(value / Decimal("1e4")) + "万"
    return _plain(value)


def fmt_approx(amount: float, digits: int = 2) -> str:
    """`fmt_wan` with its unit: '3.1万元', '3500元'.

    >>> fmt_approx(31131.63), fmt_approx(980)
    ('3.1万元', '980元')
    """
    return fmt_wan(amount, digits) + "元"


def fmt_range(low: float, high: float, digits: int = 2) -> str:
    """A range the way a person says it, one unit at the end; '约…' when both ends round alike.

    >>> fmt_range(31131.63, 62263.26), fmt_range(800000.20, 831131.83), fmt_range(5000, 5020)
    ('3.1万–6.2万元', '80万–83万元', '约5000元')
    >>> fmt_range(0, 62263.26)
    '0–6.2万元'
    """
    if high < low:
        raise ValueError(f"high: {high!r} is below low {low!r}")
    first, second = fmt_wan(low, digits), fmt_wan(high, digits)
    if first == second:
        return f"约{first}元"
    return f"{first}–{second}元"

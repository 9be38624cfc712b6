"""Planning assumptions in one place, each with its source or reason; every calc function takes overrides.

A function that uses assumptions accepts ``assumptions: Assumptions | None`` and reports the values it used,
so a proposal can print them and a user can change them ("假设通胀2.5%，可以改").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from calc.errors import CalcInputError


@dataclass(frozen=True)
class Range:
    """The accepted values of one planning input or assumption: low <= value <= high (low < value when
    `low_open`). The one definition that calc checks and the bot's re-ask texts quote.

    Examples
    --------
    >>> years = Range(1, 50, name_zh="期限")
    >>> 10 in years, 0 in years, 0 in Range(0, 1e10, low_open=True)
    (True, False, False)
    >>> years.check("years", 60)
    Traceback (most recent call last):
    ...
    calc.errors.CalcInputError: years: must be between 1 and 50, got 60
    """

    low: float
    high: float
    low_open: bool = False
    name_zh: str = ""

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def check(self, field: str, value: float) -> float:
        """`value` as a float when it is in the range, else raise CalcInputError naming `field`."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CalcInputError(field, f"must be a number, got {value!r}", f"{self.name_zh or field}应为数字") from None
        if number not in self:
            low = f"above {self.low:g} and at most" if self.low_open else f"between {self.low:g} and"
            low_zh = f"大于{self.low:g}且不超过" if self.low_open else f"在{self.low:g}到"
            high_zh = f"{self.high:g}" if self.low_open else f"{self.high:g}之间"
            raise CalcInputError(field, f"must be {low} {self.high:g}, got {number:g}",
                                 f"{self.name_zh or field}应{low_zh}{high_zh}")
        return number


BOUNDS: dict[str, Range] = {
    "inflation": Range(-0.02, 0.10, name_zh="通胀假设"),
    "replacement_ratio": Range(0.30, 1.20, name_zh="收入替代率"),
    "life_expectancy": Range(60, 120, name_zh="规划寿命"),
    "insurance_multiple": Range(0, 50, name_zh="保额倍数"),
    "premium_share": Range(0, 0.5, name_zh="保费占比"),
    "pension_growth": Range(-0.05, 0.2, name_zh="养老金增长率"),
    "trading_days": Range(200, 366, name_zh="年交易日"),
}
"""Plausible values of the assumptions a user or caller may override (`Assumptions.check`); the chat's
re-ask texts for "通胀改成…" / "替代率改成…" quote these ranges."""

# Expected annual return (arithmetic mean) and volatility by asset class, nominal, before fees.
# Long-run planning figures in the range Chinese banks and fund companies publish for capital-market
# assumptions; they are deliberately conservative and are not forecasts.
_CLASS_RETURNS = {
    "cash": (0.015, 0.003),   # money-market / cash management: recent 7-day yields 1-2%
    "fixed": (0.030, 0.030),  # deposits, 理财 R1-R2, pure bond funds
    "mixed": (0.050, 0.100),  # mixed funds, 固收+
    "equity": (0.070, 0.200),  # A-share equity and index funds (CSI 300 long-run vol ≈ 20-25%)
    "overseas": (0.060, 0.180),  # QDII equity, in CNY
    "gold": (0.040, 0.150),
}


@dataclass(frozen=True)
class Assumptions:
    """Defaults for planning; override any field per call with ``Assumptions().with_overrides(...)``.

    Examples
    --------
    >>> a = Assumptions().with_overrides(inflation=0.03)
    >>> a.inflation, a.replacement_ratio
    (0.03, 0.7)
    """

    inflation: float = 0.025
    """CPI inflation a year. PBoC/NBS data: China's CPI averaged about 2% in 2010-2024; the government's
    annual CPI target has been "about 3%"; 2.5% sits between."""
    replacement_ratio: float = 0.70
    """Retirement income as a share of pre-retirement income; 70-80% is the usual planning default."""
    life_expectancy: int = 90
    """Plan to this age: China's average life expectancy was 79 in 2024 (NHC); planning adds a margin
    for longevity risk, especially for women and healthy retirees."""
    emergency_months_low: int = 3
    emergency_months_high: int = 6
    """Liquidity pot (随时要用的钱): 3-6 months of expenses in cash-like products."""
    insurance_multiple: float = 10.0
    """双十原则: life cover about 10 x annual income."""
    premium_share: float = 0.10
    """双十原则: premiums about 10% of annual income."""
    critical_illness_years: float = 3.0
    """Critical-illness cover of 3-5 years of income (treatment plus lost income); 3 as the floor."""
    class_returns: MappingProxyType[str, tuple[float, float]] = field(
        default_factory=lambda: MappingProxyType(dict(_CLASS_RETURNS))
    )
    """(mean, volatility) a year by asset class: cash, fixed, mixed, equity, overseas, gold."""
    pension_growth: float = 0.02
    """Nominal growth of the basic pension a year (recent national increases were 2-3%)."""
    trading_days: int = 242
    """Trading days a year on Chinese exchanges (about 242-244 recently); used to annualise daily data."""

    def with_overrides(self, **changes: Any) -> Assumptions:
        """A copy with `changes` applied; unknown names or implausible values raise CalcInputError."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            name = sorted(unknown)[0]
            raise CalcInputError(name, "is not a known assumption", f"没有名为{name}的假设")
        updated = replace(self, **changes)
        updated.check()
        return updated

    def check(self) -> None:
        """Raise CalcInputError when a value is outside a plausible range."""
        for name, bounds in BOUNDS.items():
            bounds.check(name, getattr(self, name))
        if not 0 < self.emergency_months_low <= self.emergency_months_high <= 24:
            raise CalcInputError("emergency_months_low", "must satisfy 0 < low <= high <= 24",
                                 "应急资金月数设置不合理")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for a proposal page ("the assumptions used").

        >>> Assumptions().as_dict()["class_returns"]["cash"]
        [0.015, 0.003]
        """
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["class_returns"] = {k: list(v) for k, v in self.class_returns.items()}
        return values


DEFAULT = Assumptions()


def resolve(assumptions: Assumptions | None) -> Assumptions:
    """The assumptions to use: the given ones, else the defaults.

    >>> resolve(None) is DEFAULT
    True
    """
    return DEFAULT if assumptions is None else assumptions

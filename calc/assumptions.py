"""Planning assumptions in one place, each with its source or reason; every calc function takes overrides.

A function that uses assumptions accepts ``assumptions: Assumptions | None`` and reports the values it used,
so a proposal can print them and a user can change them ("假设通胀2.5%，可以改").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from calc.errors import CalcInputError

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
        bounds = {
            "inflation": (-0.05, 0.20), "replacement_ratio": (0.1, 1.5), "life_expectancy": (60, 120),
            "insurance_multiple": (0, 50), "premium_share": (0, 0.5), "pension_growth": (-0.05, 0.2),
            "trading_days": (200, 366),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise CalcInputError(name, f"must be between {low} and {high}, got {value}",
                                     f"假设{name}应在{low}到{high}之间")
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

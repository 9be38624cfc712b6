"""The four plans: investment, pension 养老, retirement 退休 and simulation 模拟, each with its assumptions.

Monthly rate from an annual one: r = (1 + annual)^(1/12) − 1. Real rate: (1 + nominal)/(1 + inflation) − 1.
Closed forms equal numpy_financial fv/pmt/pv/nper (payments at month end).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calc.assumptions import Assumptions, resolve
from calc.errors import CalcInputError
from calc.simulate import PERCENTILES, monte_carlo, portfolio_moments
from calc.validate import finite, in_range, non_negative

DEFAULT_RETURN = 0.04
"""Default nominal annual return for the closed-form plans when none is given (a balanced 固收+ mix)."""
DEFAULT_VOL = 0.08
"""Default annual volatility for the range around a saving plan's projection."""


def monthly_rate(annual: float) -> float:
    """The monthly rate that compounds to `annual` over 12 months: (1 + annual)^(1/12) − 1.

    Raises CalcInputError for a rate of −100% or below (nothing compounds from there).

    >>> round(monthly_rate(0.1268250301), 6)
    0.01
    """
    if not math.isfinite(annual) or annual <= -1.0:
        raise CalcInputError("annual_return", f"must be a finite rate above -100%, got {annual!r}",
                             "年化收益率应大于-100%")
    return (1.0 + annual) ** (1.0 / 12.0) - 1.0


def _fv(r: float, n: float, pmt: float, pv: float) -> float:
    """Future value of pv today and pmt at each month end (positive amounts = money put in)."""
    return pv * (1 + r) ** n + (pmt * n if r == 0 else pmt * ((1 + r) ** n - 1) / r)


def _annuity(r: float, n: float) -> float:
    """Present value of 1 a month for n months at month end."""
    return n if r == 0 else (1 - (1 + r) ** -n) / r


@dataclass(frozen=True)
class InvestmentPlan:
    """Required monthly saving and lump sum for a goal; projection of a given saving with a p10-p90 range."""

    required_monthly_saving: float
    required_lump_sum: float
    projected_value: float | None
    projected_range: dict[int, float] | None
    basis: str = "nominal"
    assumptions: dict[str, Any] = field(default_factory=dict)


def plan_investment(goal_amount: float, years: float, initial: float = 0.0, monthly_saving: float | None = None,
                    annual_return: float = DEFAULT_RETURN, annual_vol: float = DEFAULT_VOL, seed: int = 0,
                    ) -> InvestmentPlan:
    """Monthly saving S = (G − P(1+r)ⁿ)·r / ((1+r)ⁿ − 1) and lump sum L = G/(1+r)ⁿ − P (both ≥ 0).

    >>> p = plan_investment(100_000, 5, annual_return=0.0)
    >>> round(p.required_monthly_saving, 2), round(p.required_lump_sum, 2)
    (1666.67, 100000.0)
    """
    goal = non_negative("goal_amount", goal_amount)
    years = in_range("years", years, 1 / 12, 100)
    initial = non_negative("initial", initial)
    finite("annual_return", annual_return)
    r, n = monthly_rate(annual_return), round(years * 12)
    gap = goal - initial * (1 + r) ** n
    saving = max(gap / _fv(r, n, 1.0, 0.0), 0.0)
    lump = max(goal / (1 + r) ** n - initial, 0.0)
    value = rng = None
    if monthly_saving is not None:
        monthly_saving = non_negative("monthly_saving", monthly_saving)
        value = _fv(r, n, monthly_saving, initial)
        sim = monte_carlo(initial, monthly_saving, max(1, math.ceil(years)), annual_return, annual_vol,
                          n_paths=2000, seed=seed)
        rng = {p: float(sim.bands[p][-1]) for p in PERCENTILES}
    return InvestmentPlan(saving, lump, value, rng, "nominal",
                          {"annual_return": annual_return, "annual_vol": annual_vol, "months": n})


@dataclass(frozen=True)
class PensionPlan:
    """Corpus needed at retirement, what savings will be worth, the gap and the monthly saving closing it."""

    corpus_needed: float
    projected_savings: float
    gap: float
    monthly_saving: float
    basis: str = "real"
    assumptions: dict[str, Any] = field(default_factory=dict)


def plan_pension(age: float, retirement_age: float, monthly_expenses: float | None = None,
                 monthly_income: float | None = None, basic_pension_monthly: float = 0.0,
                 current_savings: float = 0.0, annual_return: float = DEFAULT_RETURN,
                 assumptions: Assumptions | None = None) -> PensionPlan:
    """Corpus = (need − pension)·annuity(real r, 12·(life − retire)); gap = corpus − savings grown at real r.

    Amounts are in today's money (real); need = expenses, or income × replacement ratio.

    >>> p = plan_pension(30, 60, monthly_expenses=5000, basic_pension_monthly=2000, annual_return=0.025)
    >>> round(p.corpus_needed), p.basis
    (1080000, 'real')
    """
    a = resolve(assumptions)
    age = in_range("age", age, 18, 100)
    retirement_age = in_range("retirement_age", retirement_age, 40, 100)
    if retirement_age < age:
        raise CalcInputError("retirement_age", "must not be below the current age", "退休年龄不能小于当前年龄")
    if retirement_age >= a.life_expectancy:
        raise CalcInputError("retirement_age", "must be below life expectancy", "退休年龄应小于预期寿命")
    if monthly_expenses is not None:
        need = non_negative("monthly_expenses", monthly_expenses)
    elif monthly_income is not None:
        need = non_negative("monthly_income", monthly_income) * a.replacement_ratio
    else:
        raise CalcInputError("monthly_expenses", "give monthly expenses or monthly income", "请提供月支出或月收入")
    pension = non_negative("basic_pension_monthly", basic_pension_monthly)
    savings = non_negative("current_savings", current_savings)
    real = (1 + finite("annual_return", annual_return)) / (1 + a.inflation) - 1
    r = monthly_rate(real)
    corpus = max(need - pension, 0.0) * _annuity(r, 12 * (a.life_expectancy - retirement_age))
    n = round(12 * (retirement_age - age))
    grown = savings * (1 + r) ** n
    gap = max(corpus - grown, 0.0)
    saving = 0.0 if gap == 0 else (gap / n if n and r == 0 else (gap / _fv(r, n, 1.0, 0.0) if n else gap))
    used = {"inflation": a.inflation, "replacement_ratio": a.replacement_ratio,
            "life_expectancy": a.life_expectancy, "annual_return": annual_return, "real_return": real}
    return PensionPlan(corpus, grown, gap, saving, "real", used)


@dataclass(frozen=True)
class RetirementPlan:
    """How long a corpus lasts (months, ∞ if never exhausted) and the sustainable withdrawal to life expectancy."""

    months_lasting: float
    years_lasting: float
    sustainable_monthly_withdrawal: float
    basis: str = "real"
    assumptions: dict[str, Any] = field(default_factory=dict)


def plan_retirement(corpus: float, monthly_withdrawal: float, age: float, annual_return: float = DEFAULT_RETURN,
                    inflation: float | None = None, assumptions: Assumptions | None = None) -> RetirementPlan:
    """n = −ln(1 − r·C/W)/ln(1 + r) at the real monthly rate r (∞ when r·C ≥ W); W* = C/annuity(r, months left).

    >>> p = plan_retirement(120_000, 1_000, 60, annual_return=0.0, inflation=0.0)
    >>> p.months_lasting, round(p.sustainable_monthly_withdrawal, 2)
    (120.0, 333.33)
    """
    a = resolve(assumptions)
    corpus = non_negative("corpus", corpus)
    w = non_negative("monthly_withdrawal", monthly_withdrawal)
    age = in_range("age", age, 18, a.life_expectancy - 1 / 12)
    infl = a.inflation if inflation is None else finite("inflation", inflation)
    real = (1 + finite("annual_return", annual_return)) / (1 + infl) - 1
    r = monthly_rate(real)
    if w == 0 or (r > 0 and r * corpus >= w):
        months = math.inf
    elif r == 0:
        months = corpus / w
    else:
        months = -math.log(1 - r * corpus / w) / math.log(1 + r)
    sustainable = corpus / _annuity(r, 12 * (a.life_expectancy - age))
    used = {"inflation": infl, "life_expectancy": a.life_expectancy, "annual_return": annual_return,
            "real_return": real}
    return RetirementPlan(months, months / 12, sustainable, "real", used)


@dataclass(frozen=True)
class SimulationPlan:
    """Yearly percentile bands (nominal) and the probability of reaching the goal."""

    years: list[int]
    bands: dict[int, list[float]]
    success_probability: float | None
    basis: str = "nominal"
    assumptions: dict[str, Any] = field(default_factory=dict)


def plan_simulation(initial: float, monthly_contribution: float, years: int, allocation: Mapping[str, float],
                    goal: float | None = None, seed: int = 0, n_paths: int = 10_000,
                    assumptions: Assumptions | None = None) -> SimulationPlan:
    """Monte Carlo of the allocation's (mean, vol) from `portfolio_moments`; see `calc.simulate.monte_carlo`.

    >>> p = plan_simulation(10_000, 500, 10, {"fixed": 0.6, "equity": 0.4}, goal=50_000, n_paths=500)
    >>> p.bands[10][-1] < p.bands[50][-1] < p.bands[90][-1], 0 <= p.success_probability <= 1
    (True, True)
    """
    a = resolve(assumptions)
    mean, vol = portfolio_moments(allocation, a)
    sim = monte_carlo(initial, monthly_contribution, years, mean, vol, n_paths=n_paths, seed=seed, goal=goal)
    used = {"mean": mean, "vol": vol, "allocation": dict(allocation), "seed": seed, "n_paths": n_paths,
            "class_returns": a.as_dict()["class_returns"]}
    return SimulationPlan([int(y) for y in sim.years], {p: sim.bands[p].tolist() for p in PERCENTILES},
                          sim.success_probability, "nominal", used)

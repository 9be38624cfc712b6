"""The four plans: investment, pension 养老, retirement 退休 and simulation 模拟, each with its assumptions.

Monthly rate from an annual one: r = (1 + annual)^(1/12) − 1. Real rate: (1 + nominal)/(1 + inflation) − 1.
Closed forms equal numpy_financial fv/pmt/pv/nper (payments at month end).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calc.assumptions import BOUNDS, Assumptions, Range, resolve
from calc.errors import CalcInputError
from calc.simulate import PERCENTILES, monte_carlo, portfolio_moments
from calc.validate import finite, non_negative

DEFAULT_RETURN = 0.04
"""Default nominal annual return for the closed-form plans when none is given (a balanced 固收+ mix)."""
DEFAULT_VOL = 0.08
"""Default annual volatility for the range around a saving plan's projection."""

INPUT_RANGES: dict[str, Range] = {
    "goal_amount": Range(0, 1e10, low_open=True, name_zh="目标金额"),
    "goal": Range(0, 1e10, name_zh="目标金额"),
    "years": Range(1, 50, name_zh="期限"),
    "initial": Range(0, 1e10, name_zh="现有资金"),
    "current_savings": Range(0, 1e10, name_zh="养老储备"),
    "corpus": Range(0, 1e10, low_open=True, name_zh="养老资金"),
    "monthly_saving": Range(0, 1e8, name_zh="每月投入"),
    "monthly_contribution": Range(0, 1e8, name_zh="每月投入"),
    "age": Range(18, 89, name_zh="年龄"),
    "retirement_age": Range(40, 80, name_zh="退休年龄"),
    "monthly_income": Range(0, 1e8, low_open=True, name_zh="月收入"),
    "basic_pension_monthly": Range(0, 1e6, name_zh="基本养老金"),
    "monthly_withdrawal": Range(0, 1e7, low_open=True, name_zh="每月支取"),
    "annual_return": Range(-0.05, 0.15, name_zh="预期年化收益"),
    **{name: BOUNDS[name] for name in ("inflation", "replacement_ratio")},
}
"""What the plans accept, by argument name: the one definition that the plan functions check and the bot's
forms and re-ask texts read. `annual_return` is the range of a *stated* return: the functions take any rate
above −100%, so that a report can show the result one point either side of a stated 15%."""


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
    goal = INPUT_RANGES["goal_amount"].check("goal_amount", goal_amount)
    years = INPUT_RANGES["years"].check("years", years)
    initial = INPUT_RANGES["initial"].check("initial", initial)
    finite("annual_return", annual_return)
    r, n = monthly_rate(annual_return), round(years * 12)
    gap = goal - initial * (1 + r) ** n
    saving = max(gap / _fv(r, n, 1.0, 0.0), 0.0)
    lump = max(goal / (1 + r) ** n - initial, 0.0)
    value = rng = None
    if monthly_saving is not None:
        monthly_saving = INPUT_RANGES["monthly_saving"].check("monthly_saving", monthly_saving)
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
    age = INPUT_RANGES["age"].check("age", age)
    retirement_age = INPUT_RANGES["retirement_age"].check("retirement_age", retirement_age)
    if retirement_age < age:
        raise CalcInputError("retirement_age", "must not be below the current age", "退休年龄不能小于当前年龄")
    if retirement_age >= a.life_expectancy:
        raise CalcInputError("retirement_age", "must be below life expectancy", "退休年龄应小于预期寿命")
    if monthly_expenses is not None:
        need = non_negative("monthly_expenses", monthly_expenses)
    elif monthly_income is not None:
        need = INPUT_RANGES["monthly_income"].check("monthly_income", monthly_income) * a.replacement_ratio
    else:
        raise CalcInputError("monthly_expenses", "give monthly expenses or monthly income", "请提供月支出或月收入")
    pension = INPUT_RANGES["basic_pension_monthly"].check("basic_pension_monthly", basic_pension_monthly)
    savings = INPUT_RANGES["current_savings"].check("current_savings", current_savings)
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
    corpus = INPUT_RANGES["corpus"].check("corpus", corpus)
    w = INPUT_RANGES["monthly_withdrawal"].check("monthly_withdrawal", monthly_withdrawal)
    age = INPUT_RANGES["age"].check("age", age)
    if age >= a.life_expectancy:
        raise CalcInputError("age", "must be below life expectancy", "年龄应小于预期寿命")
    infl = a.inflation if inflation is None else INPUT_RANGES["inflation"].check("inflation", inflation)
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
    initial = INPUT_RANGES["initial"].check("initial", initial)
    monthly_contribution = INPUT_RANGES["monthly_contribution"].check("monthly_contribution", monthly_contribution)
    years = int(INPUT_RANGES["years"].check("years", years))
    if goal is not None:
        goal = INPUT_RANGES["goal"].check("goal", goal)
    mean, vol = portfolio_moments(allocation, a)
    sim = monte_carlo(initial, monthly_contribution, years, mean, vol, n_paths=n_paths, seed=seed, goal=goal)
    used = {"mean": mean, "vol": vol, "allocation": dict(allocation), "seed": seed, "n_paths": n_paths,
            "class_returns": a.as_dict()["class_returns"]}
    return SimulationPlan([int(y) for y in sim.years], {p: sim.bands[p].tolist() for p in PERCENTILES},
                          sim.success_probability, "nominal", used)


def balance_path(initial: float, monthly: float, annual_return: float, years: int) -> list[float]:
    """Balance at each year end, year 0 being today, with `monthly` paid in (or, if negative, taken out) at
    each month end; a balance never goes below zero.

    Each year is twelve months of the future-value recurrence at the monthly rate r = (1 + annual)^(1/12) − 1:

        B(y+1) = max(B(y)·(1+r)¹² + m·((1+r)¹² − 1)/r, 0)        (m·12 when r = 0)

    which is numpy_financial.fv(r, 12, −m, −B(y)); once a withdrawal has emptied the balance it stays at zero.

    Parameters
    ----------
    initial : float
        Balance today, in yuan.
    monthly : float
        Paid in at each month end (negative: withdrawn).
    annual_return : float
        Annual rate, above −100%.
    years : int
        Number of year ends after today.

    Returns
    -------
    list of float
        ``years + 1`` balances, the first being `initial`.

    Examples
    --------
    >>> [round(v) for v in balance_path(1000, 100, 0.0, 2)]
    [1000, 2200, 3400]
    >>> balance_path(1000, -600, 0.0, 2)
    [1000.0, 0.0, 0.0]
    >>> round(balance_path(0, 1000, 0.1268250301, 1)[-1], 2)  # 1% a month: fv(0.01, 12, -1000, 0)
    12682.5
    """
    r = monthly_rate(annual_return)
    path = [float(initial)]
    for _ in range(int(years)):
        start = path[-1]
        if monthly < 0 and start <= 0:
            path.append(0.0)
            continue
        path.append(max(_fv(r, 12, float(monthly), start), 0.0))
    return path

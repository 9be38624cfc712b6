"""Monte Carlo of a savings account with monthly steps: percentile bands a year and the chance of a goal.

Vectorised numpy, seeded (same seed, same answer), float32 in-place recurrence by default for speed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from calc.assumptions import Assumptions, resolve
from calc.errors import CalcInputError, WeightsError
from calc.validate import finite, in_range, non_negative

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
"""Percentile bands reported for every simulated year (never one number for an uncertain outcome)."""
CLASS_CORRELATION = 0.3
"""Assumed pairwise correlation between asset-class returns in `portfolio_moments` (a simple constant-
correlation model; cash is treated like the others). Module constant, not in Assumptions."""


@dataclass(frozen=True)
class SimulationResult:
    """Yearly percentile bands (nominal values at each year end, year 0 = today) and the goal probability."""

    years: np.ndarray
    bands: dict[int, np.ndarray]
    success_probability: float | None
    final_values: dict[str, float]


def portfolio_moments(weights: Mapping[str, float], assumptions: Assumptions | None = None) -> tuple[float, float]:
    """Annual mean and volatility of a mix of asset classes.

    mean = Σ wᵢ μᵢ ; vol = sqrt(Σᵢ Σⱼ wᵢ wⱼ σᵢ σⱼ ρᵢⱼ) with ρᵢᵢ = 1 and ρᵢⱼ = CLASS_CORRELATION (0.3).

    Examples
    --------
    >>> mean, vol = portfolio_moments({"cash": 0.5, "fixed": 0.5})
    >>> round(mean, 4), round(vol, 4)
    (0.0225, 0.0155)
    """
    a = resolve(assumptions)
    if not weights:
        raise WeightsError("weights", "must not be empty", "资产配置不能为空")
    for name, w in weights.items():
        if name not in a.class_returns:
            raise WeightsError("weights", f"unknown asset class {name!r}", f"未知资产类别{name}")
        if not math.isfinite(float(w)) or w < 0:
            raise WeightsError("weights", f"weight of {name} must be a non-negative number", "配置比例不能为负数")
    total = float(sum(weights.values()))
    if abs(total - 1.0) > 1e-6:
        raise WeightsError("weights", f"must sum to 1, got {total:g}", "配置比例之和应为100%")
    names = list(weights)
    w = np.array([float(weights[n]) for n in names])
    mu = np.array([a.class_returns[n][0] for n in names])
    sigma = np.array([a.class_returns[n][1] for n in names])
    corr = np.full((len(names), len(names)), CLASS_CORRELATION)
    np.fill_diagonal(corr, 1.0)
    cov = np.outer(sigma, sigma) * corr
    return float(w @ mu), float(math.sqrt(max(w @ cov @ w, 0.0)))


def _monthly_growth(mean: float, vol: float, months: int, n_paths: int, rng: np.random.Generator,
                    method: str, monthly_returns: Any, dtype: Any) -> np.ndarray:
    """Gross monthly growth factors, shape (months, n_paths)."""
    if method == "lognormal":
        # Lognormal with arithmetic annual mean `mean`, annual vol `vol`: log-sd s, log-mean m = ln(1+mean) - s²/2.
        s2 = math.log(1.0 + (vol / (1.0 + mean)) ** 2)
        mu_m = (math.log(1.0 + mean) - s2 / 2.0) / 12.0
        sd_m = math.sqrt(s2 / 12.0)
        z = rng.standard_normal((months, n_paths), dtype=np.float32 if dtype == np.float32 else np.float64)
        z *= sd_m
        z += mu_m
        np.exp(z, out=z)
        return z
    if method == "bootstrap":
        if monthly_returns is None:
            raise CalcInputError("monthly_returns", "is required for the bootstrap method", "自助法需要历史月收益率")
        hist = np.asarray(monthly_returns, dtype=float)
        hist = hist[np.isfinite(hist)]
        if hist.size == 0:
            raise CalcInputError("monthly_returns", "has no finite values", "历史收益率为空")
        if np.any(hist <= -1):
            raise CalcInputError("monthly_returns", "must be greater than -100%", "月收益率不能低于-100%")
        idx = rng.integers(0, hist.size, size=(months, n_paths))
        return (1.0 + hist).astype(dtype)[idx]
    raise CalcInputError("method", f"must be 'lognormal' or 'bootstrap', got {method!r}", "模拟方法无效")


def monte_carlo(initial: float, monthly_contribution: float, years: int, mean: float, vol: float,
                n_paths: int = 10_000, seed: int = 0, method: str = "lognormal", monthly_returns: Any = None,
                goal: float | None = None, withdrawals: float | None = None, dtype: Any = np.float32,
                ) -> SimulationResult:
    """Simulate a balance month by month: V ← max(V·g + c − w, 0), contributions/withdrawals at month end.

    g is the gross monthly growth (lognormal with annual arithmetic mean `mean` and volatility `vol`, or
    resampled from `monthly_returns`). Bands are percentiles 5/10/25/50/75/90/95 of the balance at each year end;
    success probability is P(final ≥ goal). With vol = 0 the median equals numpy_financial.fv at the
    geometric monthly rate (1+mean)^(1/12) − 1.

    Examples
    --------
    >>> r = monte_carlo(10_000, 1_000, 10, 0.05, 0.0, n_paths=100, goal=150_000)
    >>> round(float(r.bands[50][-1]))
    170652
    >>> r.success_probability
    1.0
    """
    initial = non_negative("initial", initial)
    monthly_contribution = non_negative("monthly_contribution", monthly_contribution)
    years = int(in_range("years", years, 1, 100))
    finite("mean", mean)
    vol = non_negative("vol", vol)
    if mean <= -1:
        raise CalcInputError("mean", "must be greater than -100%", "收益率不能低于-100%")
    if int(n_paths) < 1:
        raise CalcInputError("n_paths", "must be at least 1", "模拟路径数至少为1")
    w = 0.0 if withdrawals is None else non_negative("withdrawals", withdrawals)
    rng = np.random.default_rng(seed)
    months = years * 12
    growth = _monthly_growth(float(mean), vol, months, int(n_paths), rng, method, monthly_returns, dtype)
    net = dtype(monthly_contribution - w)
    value = np.full(int(n_paths), initial, dtype=dtype)
    yearly = np.empty((years + 1, int(n_paths)), dtype=dtype)
    yearly[0] = value
    for m in range(months):
        np.multiply(value, growth[m], out=value)
        value += net
        if w > 0:
            np.maximum(value, 0, out=value)
        if (m + 1) % 12 == 0:
            yearly[(m + 1) // 12] = value
    pct = np.percentile(yearly, PERCENTILES, axis=1)
    bands = {p: pct[i].astype(np.float64) for i, p in enumerate(PERCENTILES)}
    final = yearly[-1].astype(np.float64)
    prob = None if goal is None else float(np.mean(final >= non_negative("goal", goal)))
    summary = {"mean": float(final.mean()), "min": float(final.min()), "max": float(final.max()),
               "p10": float(bands[10][-1]), "p50": float(bands[50][-1]), "p90": float(bands[90][-1])}
    return SimulationResult(np.arange(years + 1), bands, prob, summary)

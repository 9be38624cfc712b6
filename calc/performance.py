"""Return, risk and drawdown metrics from NAV series, and a vectorised back-test of many portfolios at once.

Annualisation uses `periods_per_year` (default 242, Chinese trading days, see Assumptions.trading_days);
peers such as empyrical use 252, so annualised figures differ by sqrt(242/252) on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calc.errors import CalcInputError, EmptySeriesError, WeightsError

TRADING_DAYS = 242


@dataclass(frozen=True)
class Drawdown:
    """Largest fall from a running peak (negative fraction, compounded) and its dates (or positions)."""

    depth: float
    peak_date: Any
    trough_date: Any
    recovery_date: Any | None


@dataclass(frozen=True)
class BacktestResult:
    """Portfolio NAV (Series, or DataFrame with one column per portfolio), drawdown series and metrics."""

    nav: pd.Series | pd.DataFrame
    drawdown: pd.Series | pd.DataFrame
    metrics: pd.DataFrame


def _series(values: Any, field: str = "nav") -> pd.Series:
    """A float Series without NaN; raise EmptySeriesError when nothing is left."""
    s = pd.Series(values, dtype=float) if not isinstance(values, pd.Series) else values.astype(float)
    s = s.dropna()
    if s.empty:
        raise EmptySeriesError(field, "has no observations", "数据序列为空")
    return s


def simple_returns(nav: Any) -> pd.Series:
    """rₜ = NAVₜ / NAVₜ₋₁ − 1.

    >>> simple_returns([1.0, 1.1, 0.99]).round(4).tolist()
    [0.1, -0.1]
    """
    s = _series(nav)
    if (s <= 0).any():
        raise CalcInputError("nav", "must be positive", "净值必须为正数")
    return s.pct_change().iloc[1:]


def log_returns(nav: Any) -> pd.Series:
    """rₜ = ln(NAVₜ / NAVₜ₋₁).

    >>> round(float(log_returns([1.0, 2.0]).iloc[0]), 4)
    0.6931
    """
    return np.log1p(simple_returns(nav))


def total_return(nav: Any) -> float:
    """NAV_last / NAV_first − 1.

    >>> round(total_return([1.0, 1.2, 1.5]), 4)
    0.5
    """
    s = _series(nav)
    return float(s.iloc[-1] / s.iloc[0] - 1)


def annualized_return(nav: Any, periods_per_year: float = TRADING_DAYS) -> float:
    """(1 + total return)^(periods_per_year / n_periods) − 1 (geometric).

    21% over 484 trading days (two years of 242) is 10% a year:

    >>> nav = [1.21 ** (day / 484) for day in range(485)]
    >>> round(annualized_return(nav), 10)
    0.1
    >>> round(annualized_return(nav, periods_per_year=484), 10)
    0.21
    """
    s = _series(nav)
    n = len(s) - 1
    if n < 1:
        raise EmptySeriesError("nav", "needs at least two observations", "至少需要两个净值")
    return float((s.iloc[-1] / s.iloc[0]) ** (periods_per_year / n) - 1)


def annualized_volatility(returns: Any, periods_per_year: float = TRADING_DAYS) -> float:
    """std(r, ddof=1) · sqrt(periods_per_year) (empyrical uses 252; ours 242 by default).

    >>> round(annualized_volatility([0.01, -0.01], 4), 4)
    0.0283
    """
    r = _series(returns, "returns")
    return float(r.std(ddof=1) * np.sqrt(periods_per_year))


def drawdown_series(nav: Any) -> pd.Series:
    """ddₜ = NAVₜ / max_{s≤t} NAVₛ − 1 (in [−1, 0]).

    >>> drawdown_series([1.0, 2.0, 1.0, 2.5]).tolist()
    [0.0, 0.0, -0.5, 0.0]
    """
    s = _series(nav)
    return s / s.cummax() - 1


def max_drawdown(nav: Any) -> Drawdown:
    """Deepest drawdown min ddₜ with the peak before it, its trough and the first date back at the peak.

    >>> d = max_drawdown([1.0, 2.0, 1.0, 2.5])
    >>> d.depth, d.peak_date, d.trough_date, d.recovery_date
    (-0.5, 1, 2, 3)
    """
    s = _series(nav)
    dd = s / s.cummax() - 1
    trough = dd.idxmin()
    depth = float(dd.loc[trough])
    if depth == 0:
        return Drawdown(0.0, None, None, None)
    before = s.loc[:trough]
    peak = before.idxmax()
    after = s.loc[trough:]
    back = after[after >= s.loc[peak]]
    return Drawdown(depth, peak, trough, back.index[0] if len(back) else None)


def sharpe(returns: Any, risk_free: float = 0.0, periods_per_year: float = TRADING_DAYS) -> float:
    """mean(r − rf) / std(r − rf, ddof=1) · sqrt(periods_per_year); rf is per period.

    >>> round(sharpe([0.01, 0.02, 0.0], periods_per_year=1), 4)
    1.0
    """
    r = _series(returns, "returns") - risk_free
    sd = r.std(ddof=1)
    return float("nan") if sd == 0 or np.isnan(sd) else float(r.mean() / sd * np.sqrt(periods_per_year))


def sortino(returns: Any, risk_free: float = 0.0, periods_per_year: float = TRADING_DAYS) -> float:
    """mean(r − rf) / sqrt(mean(min(r − rf, 0)²)) · sqrt(periods_per_year) (downside deviation, as empyrical).

    >>> round(sortino([0.02, -0.01], periods_per_year=1), 4)
    0.7071
    """
    r = _series(returns, "returns") - risk_free
    down = np.sqrt(np.mean(np.minimum(r, 0) ** 2))
    return float("inf") if down == 0 else float(r.mean() / down * np.sqrt(periods_per_year))


def calmar(nav: Any, periods_per_year: float = TRADING_DAYS) -> float:
    """Annualised return / |max drawdown|.

    >>> round(calmar([1.0, 0.5, 1.0], periods_per_year=2), 4)
    0.0
    """
    depth = max_drawdown(nav).depth
    return float("inf") if depth == 0 else annualized_return(nav, periods_per_year) / abs(depth)


def rebalance_starts(index: pd.Index, rebalance: str | None) -> list[int]:
    """Row numbers where a holding period starts: the first row, then the first row of each new month,
    quarter or year ("M", "Q", "Y"; needs a date index); only the first with `rebalance` None.

    >>> rebalance_starts(pd.date_range("2026-01-30", periods=4), "M"), rebalance_starts(pd.RangeIndex(3), None)
    ([0, 2], [0])
    """
    if rebalance is None:
        return [0]
    if rebalance not in ("M", "Q", "Y") or not isinstance(index, pd.DatetimeIndex):
        raise CalcInputError("rebalance", "must be None, 'M', 'Q' or 'Y' (with a date index)", "再平衡频率无效")
    periods = np.asarray(index.to_period(rebalance))
    return [0] + [i for i in range(1, len(periods)) if periods[i] != periods[i - 1]]


def backtest(weights: Any, navs: pd.DataFrame, rebalance: str | None = None,
             periods_per_year: float = TRADING_DAYS) -> BacktestResult:
    """Portfolio NAVs for one weight vector or a (portfolios × assets) matrix, buy-and-hold or rebalanced.

    Between rebalance dates each portfolio holds units uᵢ = wᵢ·V₀/Pᵢ,₀: Vₜ = Σ uᵢ Pᵢ,ₜ, one matrix product
    for all portfolios (loop only over rebalance periods "M", "Q", "Y").

    >>> navs = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 1.0]})
    >>> backtest([0.5, 0.5], navs).nav.tolist()
    [1.0, 1.5]
    """
    if not isinstance(navs, pd.DataFrame):
        navs = pd.DataFrame(navs)
    navs = navs.astype(float).dropna(how="any")
    if navs.empty:
        raise EmptySeriesError("navs", "has no complete rows", "净值数据为空")
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    single = np.ndim(weights) == 1
    if w.shape[1] != navs.shape[1]:
        raise WeightsError("weights", f"need {navs.shape[1]} weights per portfolio", "权重数量与资产数量不符")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(np.abs(w.sum(axis=1) - 1) > 1e-6):
        raise WeightsError("weights", "must be non-negative and sum to 1", "配置比例应非负且之和为100%")
    prices = navs.to_numpy()
    starts = rebalance_starts(navs.index, rebalance)
    out = np.empty((len(prices), w.shape[0]))
    value = np.ones(w.shape[0])
    bounds = [*starts[1:], len(prices)]
    for s, e in zip(starts, bounds, strict=True):
        base = prices[s - 1] if s > 0 else prices[0]
        rel = prices[s:e] / base
        out[s:e] = value * (rel @ w.T)
        value = out[e - 1]
    frame = pd.DataFrame(out, index=navs.index)
    dd = frame / frame.cummax() - 1
    rets = frame.pct_change().iloc[1:]
    n = len(frame) - 1
    metrics = pd.DataFrame({
        "total_return": frame.iloc[-1] - 1,
        "annualized_return": frame.iloc[-1] ** (periods_per_year / max(n, 1)) - 1,
        "annualized_volatility": rets.std(ddof=1) * np.sqrt(periods_per_year),
        "max_drawdown": dd.min(),
        "sharpe": rets.mean() / rets.std(ddof=1) * np.sqrt(periods_per_year),
    })
    if single:
        return BacktestResult(frame[0], dd[0], metrics)
    return BacktestResult(frame, dd, metrics)

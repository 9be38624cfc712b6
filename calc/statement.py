"""Wealth statement: profit by product and category, time-weighted and money-weighted (XIRR) return, benchmark.

Transactions: DataFrame with date, product, category, amount (amount > 0 money put in, < 0 money taken out).
Valuations: DataFrame with date, product, category, value (market value at end of that date).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calc.errors import CalcInputError, EmptySeriesError

PERIODS = ("this_month", "this_year", "last_12_months", "since_first")


def xirr(dates: Any, amounts: Any, guess: float = 0.1) -> float:
    """Annual rate x with Σ aᵢ / (1+x)^((dᵢ−d₀)/365) = 0: Newton, then bisection on [−0.9999, 1e6].

    >>> round(xirr(["2023-01-01", "2024-01-01"], [-100, 110]), 6)
    0.1
    """
    d = pd.to_datetime(pd.Series(list(dates)))
    a = np.asarray(list(amounts), dtype=float)
    if len(a) < 2 or len(a) != len(d):
        raise EmptySeriesError("amounts", "need at least two flows, one per date", "至少需要两笔现金流")
    if not np.all(np.isfinite(a)):
        raise CalcInputError("amounts", "must be finite", "金额应为有效数字")
    if not (a.min() < 0 < a.max()):
        raise CalcInputError("amounts", "need both a negative and a positive flow", "现金流需要有正有负")
    t = ((d - d.min()).dt.days.to_numpy()) / 365.0

    def npv(x: float) -> float:
        return float(np.sum(a / (1 + x) ** t))

    x = guess
    for _ in range(50):
        f = npv(x)
        df = float(np.sum(-t * a / (1 + x) ** (t + 1)))
        if df == 0 or not math.isfinite(df):
            break
        nxt = x - f / df
        if not math.isfinite(nxt) or nxt <= -1:
            break
        if abs(nxt - x) < 1e-12:
            return nxt
        x = nxt
    lo, hi = -0.9999, 1e6
    flo = npv(lo)
    if flo * npv(hi) > 0:
        raise CalcInputError("amounts", "no rate makes the flows balance", "无法计算收益率")
    for _ in range(300):
        mid = (lo + hi) / 2
        fm = npv(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return (lo + hi) / 2


def time_weighted_return(valuations: pd.Series, flows: pd.Series | None = None) -> float:
    """Π (Vₜ − Fₜ)/Vₜ₋₁ − 1, Vₜ the value after the external flow Fₜ on date t (flows on the first date ignored;
    a flow between valuation dates counts on the next one).

    >>> v = pd.Series([100.0, 110.0, 220.0], index=pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    >>> f = pd.Series([100.0], index=pd.to_datetime(["2024-03-01"]))
    >>> round(time_weighted_return(v, f), 4)
    0.2
    """
    v = valuations.astype(float).dropna().sort_index()
    if len(v) < 2:
        raise EmptySeriesError("valuations", "need at least two valuations", "至少需要两个估值")
    f = pd.Series(0.0, index=v.index)
    if flows is not None and len(flows):
        # A flow between valuation dates is booked on the next valuation date (approximation, documented).
        fl = flows.astype(float).groupby(level=0).sum()
        pos = np.searchsorted(v.index.to_numpy(), fl.index.to_numpy(), side="left")
        keep = pos < len(v)
        arr = np.zeros(len(v))
        np.add.at(arr, pos[keep], fl.to_numpy()[keep])
        f = pd.Series(arr, index=v.index)
    prev = v.shift(1).iloc[1:]
    if (prev <= 0).any():
        raise CalcInputError("valuations", "must be positive to chain returns", "估值必须为正")
    return float(np.prod((v.iloc[1:] - f.iloc[1:]) / prev) - 1)


def period_bounds(period: str, today: dt.date, first: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(start, end) of a statement period: start is the valuation date before the period's first day.

    >>> period_bounds("this_year", dt.date(2025, 5, 9))
    (datetime.date(2024, 12, 31), datetime.date(2025, 5, 9))
    """
    if period == "this_month":
        return today.replace(day=1) - dt.timedelta(days=1), today
    if period == "this_year":
        return dt.date(today.year - 1, 12, 31), today
    if period == "last_12_months":
        try:
            return today.replace(year=today.year - 1), today
        except ValueError:  # 29 February
            return today.replace(year=today.year - 1, day=28), today
    if period == "since_first":
        if first is None:
            raise CalcInputError("first", "is required for since_first", "需要首次持有日期")
        return first - dt.timedelta(days=1), today
    raise CalcInputError("period", f"must be one of {PERIODS}", "统计区间无效")


def _value_at(valuations: pd.DataFrame, day: dt.date, by: str) -> pd.Series:
    """Latest value on or before `day` per product, summed by `by`."""
    v = valuations[valuations["date"] <= pd.Timestamp(day)].sort_values("date")
    last = v.groupby("product").tail(1)
    return last.groupby(by)["value"].sum()


def profit_by(transactions: pd.DataFrame, valuations: pd.DataFrame, start: dt.date, end: dt.date,
              by: str = "product") -> pd.Series:
    """Profit = V_end − V_start − net flows in (start, end], per product or category.

    >>> tx = pd.DataFrame({"date": pd.to_datetime(["2024-06-01"]), "product": ["A"], "category": ["fund"],
    ...                    "amount": [1000.0]})
    >>> val = pd.DataFrame({"date": pd.to_datetime(["2024-06-30"]), "product": ["A"], "category": ["fund"],
    ...                     "value": [1050.0]})
    >>> profit_by(tx, val, dt.date(2024, 5, 31), dt.date(2024, 6, 30)).to_dict()
    {'A': 50.0}
    """
    if by not in ("product", "category"):
        raise CalcInputError("by", "must be 'product' or 'category'", "分组方式无效")
    t = transactions[(transactions["date"] > pd.Timestamp(start)) & (transactions["date"] <= pd.Timestamp(end))]
    flows = t.groupby(by)["amount"].sum()
    end_v, start_v = _value_at(valuations, end, by), _value_at(valuations, start, by)
    keys = end_v.index.union(start_v.index).union(flows.index)
    return (end_v.reindex(keys, fill_value=0.0) - start_v.reindex(keys, fill_value=0.0)
            - flows.reindex(keys, fill_value=0.0)).astype(float)


@dataclass(frozen=True)
class Statement:
    """A period's statement: profit by product/category, TWR, MWR (XIRR, annual) and excess over a benchmark."""

    start: dt.date
    end: dt.date
    profit: float
    profit_by_product: dict[str, float]
    profit_by_category: dict[str, float]
    twr: float | None
    mwr: float | None
    benchmark_return: float | None
    excess_return: float | None


def statement(transactions: pd.DataFrame, valuations: pd.DataFrame, period: str, today: dt.date,
              benchmark: pd.Series | None = None) -> Statement:
    """Statement over `period`; excess = TWR − benchmark total return over the same dates.

    >>> tx = pd.DataFrame({"date": pd.to_datetime(["2024-06-01"]), "product": ["A"], "category": ["fund"],
    ...                    "amount": [1000.0]})
    >>> val = pd.DataFrame({"date": pd.to_datetime(["2024-06-01", "2024-06-30"]), "product": ["A", "A"],
    ...                     "category": ["fund", "fund"], "value": [1000.0, 1050.0]})
    >>> s = statement(tx, val, "this_month", dt.date(2024, 6, 30))
    >>> s.profit, round(s.twr, 4)
    (50.0, 0.05)
    """
    if valuations.empty and transactions.empty:
        raise EmptySeriesError("valuations", "no transactions or valuations", "没有交易或估值记录")
    first = min(pd.concat([transactions["date"], valuations["date"]]).min().date(), today)
    start, end = period_bounds(period, today, first)
    by_p = profit_by(transactions, valuations, start, end, "product")
    by_c = profit_by(transactions, valuations, start, end, "category")
    total = valuations.groupby("date")["value"].sum().sort_index()
    tx = transactions[(transactions["date"] > pd.Timestamp(start)) & (transactions["date"] <= pd.Timestamp(end))]
    flows = tx.groupby("date")["amount"].sum()
    v0 = float(_value_at(valuations, start, "product").sum())
    v1 = float(_value_at(valuations, end, "product").sum())
    window = total[(total.index > pd.Timestamp(start)) & (total.index <= pd.Timestamp(end))]
    if v0 > 0:
        window = pd.concat([pd.Series([v0], index=[pd.Timestamp(start)]), window])
    twr = None
    if len(window) >= 2 and (window.iloc[:-1] > 0).all():
        twr = time_weighted_return(window, flows[flows.index > window.index[0]])
    dates = [pd.Timestamp(start), *flows.index, pd.Timestamp(end)]
    amounts = [-v0, *(-flows).tolist(), v1]
    try:
        mwr = xirr(dates, amounts)
    except CalcInputError:
        mwr = None
    bench = excess = None
    if benchmark is not None:
        b = benchmark.dropna().sort_index()
        b = b[(b.index >= pd.Timestamp(start)) & (b.index <= pd.Timestamp(end))]
        if len(b) >= 2:
            bench = float(b.iloc[-1] / b.iloc[0] - 1)
            excess = None if twr is None else twr - bench
    return Statement(start, end, float(by_p.sum()), by_p.to_dict(), by_c.to_dict(), twr, mwr, bench, excess)

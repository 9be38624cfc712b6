"""Valuation of positions that have no NAV: term deposits, 理财 and cash management booked by lot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

EPSILON = 1e-9
"""Units below this are treated as zero when lots are closed (floating-point dust)."""
CLOSING_KINDS = ("sell", "maturity")


def _size(trade: Any) -> float:
    """Units of a trade (a row of `trades`), or its amount when units are not recorded."""
    return float(trade.units if trade.units is not None else trade.amount)


def _lots(trades: pd.DataFrame) -> list[tuple[object, float, object | None]]:
    """(open date, principal, close date or None) of every lot: buys open lots, sells and maturities close the
    oldest first (FIFO by units, or by amount when a trade has no units); a partly closed lot splits in two."""
    open_lots: list[list] = []  # [open date, principal left]
    closed: list[tuple[object, float, object | None]] = []
    for row in trades.itertuples():
        if row.kind == "buy":
            open_lots.append([row.date, _size(row)])
        elif row.kind in CLOSING_KINDS:
            left = _size(row)
            while left > EPSILON and open_lots:
                lot = open_lots[0]
                take = min(left, lot[1])
                closed.append((lot[0], take, row.date))
                lot[1] -= take
                left -= take
                if lot[1] <= EPSILON:
                    open_lots.pop(0)
    return [*closed, *((opened, principal, None) for opened, principal in open_lots)]


def _accrue(lots: Iterable[tuple[object, float, object | None]], rate: float, days: np.ndarray) -> np.ndarray:
    values = np.zeros(len(days))
    for opened, principal, closes in lots:
        start = np.datetime64(opened)
        live = days >= start
        if closes is not None:
            live &= days < np.datetime64(closes)
        elapsed = (days - start).astype("timedelta64[D]").astype(float)
        values += np.where(live, principal * (1 + rate * elapsed / 365.0), 0.0)
    return values


def lot_values(trades: pd.DataFrame, rate: float, grid: pd.DatetimeIndex) -> np.ndarray:
    """Value on each day of `grid` of a term or cash product held by lot at simple interest.

    Each buy opens a lot; sells and maturities close the oldest lots first (FIFO, by units when the trade has
    them, else by amount). On day *t* a lot opened on *t0* with principal *P* that is still open is worth

        V(t) = P * (1 + rate * (t - t0) / 365)

    and nothing before *t0* or from its closing day on. The product's value is the sum over its lots — the way
    the demo bank books deposits, 理财 and cash management.

    Parameters
    ----------
    trades : pandas.DataFrame
        One product's trades in date order, with columns ``date`` (Timestamp), ``kind`` ("buy", "sell",
        "maturity"; others are ignored), ``amount`` (yuan) and ``units`` (None when not recorded).
    rate : float
        Expected annual rate as a fraction (0.0365 for 3.65%).
    grid : pandas.DatetimeIndex
        The days to value on.

    Returns
    -------
    numpy.ndarray
        The value in yuan on each day of `grid`.

    Examples
    --------
    >>> trades = pd.DataFrame({"date": pd.to_datetime(["2026-01-05", "2026-03-02"]), "kind": ["buy", "maturity"],
    ...                        "amount": [10000.0, 10050.0], "units": [10000.0, 10000.0]})
    >>> grid = pd.DatetimeIndex(["2026-01-02", "2026-01-15", "2026-03-02"])
    >>> [round(float(v), 2) for v in lot_values(trades, 0.0365, grid)]
    [0.0, 10010.0, 0.0]
    """
    return _accrue(_lots(trades), float(rate), grid.to_numpy())

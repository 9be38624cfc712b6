"""calc.positions.lot_values: lots at simple interest, closed first in, first out."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from calc.positions import lot_values


def trades(*rows: tuple[str, str, float, float | None]) -> pd.DataFrame:
    return pd.DataFrame({"date": [pd.Timestamp(r[0]) for r in rows], "kind": [r[1] for r in rows],
                         "amount": [r[2] for r in rows], "units": [r[3] for r in rows]})


class TestLotValues:
    def test_lots_accrue_and_close(self) -> None:
        grid = pd.bdate_range("2026-01-01", "2026-03-31")
        values = lot_values(trades(("2026-01-05", "buy", 10000.0, 10000.0),
                                   ("2026-03-02", "maturity", 10050.0, 10000.0)), 0.0365, grid)
        at = {d.date(): v for d, v in zip(grid, values, strict=True)}
        assert at[dt.date(2026, 1, 2)] == 0
        assert at[dt.date(2026, 1, 15)] == pytest.approx(10000 * (1 + 0.0365 * 10 / 365))
        assert at[dt.date(2026, 3, 2)] == 0 and at[dt.date(2026, 2, 27)] > 10000

    def test_a_partial_sale_closes_the_oldest_lot_first(self) -> None:
        grid = pd.DatetimeIndex(["2026-02-01", "2026-03-01"])
        values = lot_values(trades(("2026-01-01", "buy", 1000.0, None), ("2026-01-15", "buy", 2000.0, None),
                                   ("2026-02-15", "sell", 1500.0, None)), 0.0, grid)
        assert list(values) == pytest.approx([3000.0, 1500.0])

    def test_amount_is_used_when_units_are_missing_and_other_kinds_are_ignored(self) -> None:
        grid = pd.DatetimeIndex(["2026-01-11"])
        values = lot_values(trades(("2026-01-01", "buy", 3650.0, None), ("2026-01-05", "dividend", 9.0, None)),
                            0.1, grid)
        assert values[0] == pytest.approx(3650.0 * (1 + 0.1 * 10 / 365))

    def test_no_trades_is_worth_nothing(self) -> None:
        grid = pd.DatetimeIndex(["2026-01-11", "2026-01-12"])
        assert list(lot_values(trades(), 0.03, grid)) == [0.0, 0.0]

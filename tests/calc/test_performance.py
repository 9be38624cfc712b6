"""Tests for calc.performance: metrics cross-checked against empyrical, drawdown properties, back-test."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.errors import CalcInputError, EmptySeriesError, WeightsError
from calc.performance import (
    annualized_return,
    annualized_volatility,
    backtest,
    calmar,
    drawdown_series,
    log_returns,
    max_drawdown,
    sharpe,
    simple_returns,
    sortino,
    total_return,
)


@pytest.fixture
def nav():
    rng = np.random.default_rng(1)
    idx = pd.bdate_range("2022-01-03", periods=500)
    return pd.Series(np.cumprod(1 + rng.normal(0.0003, 0.01, 500)), index=idx)


class TestSimpleReturns:
    def test_values(self):
        assert simple_returns([1.0, 1.1, 0.99]).round(10).tolist() == [0.1, -0.1]

    def test_empty_raises(self):
        with pytest.raises(EmptySeriesError):
            simple_returns([np.nan, np.nan])


class TestLogReturns:
    def test_sum_equals_log_total(self, nav):
        assert log_returns(nav).sum() == pytest.approx(np.log(nav.iloc[-1] / nav.iloc[0]), rel=1e-12)


class TestTotalReturn:
    def test_value(self):
        assert total_return(np.array([2.0, 3.0])) == pytest.approx(0.5)


class TestAnnualizedReturn:
    def test_pins_242_vs_empyrical_252(self, nav):
        r = simple_returns(nav)
        assert annualized_return(nav, 252) == pytest.approx(empyrical.annual_return(r), rel=1e-9)
        assert annualized_return(nav) == pytest.approx(
            (1 + empyrical.cum_returns_final(r)) ** (242 / len(r)) - 1, rel=1e-9)


class TestAnnualizedVolatility:
    def test_matches_empyrical_and_pins_days(self, nav):
        r = simple_returns(nav)
        assert annualized_volatility(r, 252) == pytest.approx(empyrical.annual_volatility(r), rel=1e-9)
        assert annualized_volatility(r) / annualized_volatility(r, 252) == pytest.approx(np.sqrt(242 / 252))


class TestDrawdownSeries:
    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.floats(0.01, 1e6), min_size=1, max_size=50))
    def test_in_unit_interval(self, values):
        dd = drawdown_series(values)
        assert ((dd >= -1) & (dd <= 0)).all()


class TestMaxDrawdown:
    def test_matches_empyrical(self, nav):
        assert max_drawdown(nav).depth == pytest.approx(empyrical.max_drawdown(simple_returns(nav)), rel=1e-9)

    def test_dates(self):
        idx = pd.date_range("2024-01-01", periods=5)
        d = max_drawdown(pd.Series([1.0, 2.0, 1.0, 1.5, 2.1], index=idx))
        assert (d.depth, d.peak_date, d.trough_date, d.recovery_date) == (-0.5, idx[1], idx[2], idx[4])

    def test_no_recovery(self):
        assert max_drawdown([2.0, 1.0, 1.5]).recovery_date is None

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.floats(0.01, 1e6), min_size=1, max_size=50))
    def test_depth_in_range(self, values):
        assert -1 <= max_drawdown(values).depth <= 0


class TestSharpe:
    def test_matches_empyrical(self, nav):
        r = simple_returns(nav)
        assert sharpe(r, periods_per_year=252) == pytest.approx(empyrical.sharpe_ratio(r), rel=1e-9)


class TestSortino:
    def test_matches_empyrical(self, nav):
        r = simple_returns(nav)
        assert sortino(r, periods_per_year=252) == pytest.approx(empyrical.sortino_ratio(r), rel=1e-9)


class TestCalmar:
    def test_matches_empyrical(self, nav):
        r = simple_returns(nav)
        assert calmar(nav, 252) == pytest.approx(empyrical.calmar_ratio(r), rel=1e-9)


class TestBacktest:
    def test_matrix_equals_one_at_a_time(self, nav):
        navs = pd.DataFrame({"a": nav, "b": nav[::-1].to_numpy()}, index=nav.index)
        w = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
        many = backtest(w, navs, rebalance="M")
        for i in range(3):
            one = backtest(w[i], navs, rebalance="M")
            np.testing.assert_allclose(many.nav[i].to_numpy(), one.nav.to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(backtest([1.0, 0.0], navs).nav.to_numpy(), (nav / nav.iloc[0]).to_numpy())

    def test_monthly_rebalance_keeps_weights(self):
        idx = pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-01"])
        navs = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1.0, 1.0, 1.0]}, index=idx)
        # Jan: 1 -> 1.5; Feb rebalanced 50/50: 1.5 * (0.5*2 + 0.5*1) = 2.25 (buy-and-hold would give 2.5).
        assert backtest([0.5, 0.5], navs, "M").nav.tolist() == pytest.approx([1.0, 1.5, 2.25])
        assert backtest([0.5, 0.5], navs).nav.tolist() == pytest.approx([1.0, 1.5, 2.5])

    def test_metrics_match_functions(self, nav):
        res = backtest([1.0], nav.to_frame())
        assert res.metrics.loc[0, "max_drawdown"] == pytest.approx(max_drawdown(nav).depth, rel=1e-9)

    def test_invalid(self, nav):
        with pytest.raises(WeightsError):
            backtest([0.5, 0.4], pd.DataFrame({"a": nav, "b": nav}))
        with pytest.raises(EmptySeriesError):
            backtest([1.0], pd.DataFrame({"a": [np.nan]}))
        with pytest.raises(CalcInputError):
            backtest([1.0], pd.DataFrame({"a": [1.0, 2.0]}), rebalance="M")

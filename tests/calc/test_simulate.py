"""Tests for calc.simulate: closed-form agreement, determinism, monotonicity, validation."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.errors import CalcInputError, WeightsError
from calc.simulate import monte_carlo, portfolio_moments


class TestMonteCarlo:
    @settings(max_examples=25, deadline=None)
    # numpy_financial.fv divides by the rate: for |rate| below about 1e-6 (but not 0) its own rounding error
    # exceeds the tolerance (hypothesis found mean=1e-9: fv 288.0 against the exact 288.00000114).
    @given(initial=st.floats(0, 1e6), pmt=st.floats(0, 1e4), years=st.integers(1, 40),
           mean=st.floats(-0.05, 0.12).filter(lambda m: m == 0 or abs(m) > 1e-6))
    def test_zero_vol_equals_fv(self, initial, pmt, years, mean):
        r = monte_carlo(initial, pmt, years, mean, 0.0, n_paths=4, dtype=np.float64)
        rate = (1 + mean) ** (1 / 12) - 1
        expected = -npf.fv(rate, years * 12, pmt, initial)
        assert r.bands[50][-1] == pytest.approx(expected, rel=1e-9, abs=1e-6)

    def test_deterministic_given_seed(self):
        a = monte_carlo(1000, 100, 5, 0.06, 0.15, n_paths=500, seed=7, goal=9000)
        b = monte_carlo(1000, 100, 5, 0.06, 0.15, n_paths=500, seed=7, goal=9000)
        assert all(np.array_equal(a.bands[p], b.bands[p]) for p in a.bands)
        assert a.success_probability == b.success_probability

    def test_bands_ordered_and_shaped(self):
        r = monte_carlo(1000, 100, 10, 0.06, 0.2, n_paths=2000)
        assert list(r.years) == list(range(11))
        for lo, hi in [(10, 25), (25, 50), (50, 75), (75, 90)]:
            assert np.all(r.bands[lo] <= r.bands[hi])
        assert r.success_probability is None

    @settings(max_examples=15, deadline=None)
    @given(pmt=st.floats(0, 5000), extra=st.floats(0, 5000), seed=st.integers(0, 100))
    def test_more_saving_never_lowers_success(self, pmt, extra, seed):
        low = monte_carlo(10_000, pmt, 10, 0.05, 0.2, n_paths=300, seed=seed, goal=100_000, dtype=np.float64)
        high = monte_carlo(10_000, pmt + extra, 10, 0.05, 0.2, n_paths=300, seed=seed, goal=100_000,
                           dtype=np.float64)
        assert high.success_probability >= low.success_probability

    def test_withdrawals_floor_at_zero(self):
        r = monte_carlo(10_000, 0, 5, 0.0, 0.0, n_paths=3, withdrawals=1000)
        assert r.bands[50][1] == pytest.approx(0.0)

    def test_bootstrap_uses_history(self):
        r = monte_carlo(100, 0, 1, 0.0, 0.0, n_paths=50, method="bootstrap", monthly_returns=[0.01, 0.01])
        assert r.bands[50][-1] == pytest.approx(100 * 1.01 ** 12, rel=1e-5)
        with pytest.raises(CalcInputError) as e:
            monte_carlo(100, 0, 1, 0.0, 0.0, method="bootstrap")
        assert e.value.field == "monthly_returns"

    @pytest.mark.parametrize("kwargs,field", [({"initial": -1}, "initial"), ({"years": 0}, "years"),
                                              ({"mean": float("nan")}, "mean"), ({"method": "x"}, "method")])
    def test_invalid_inputs_name_field(self, kwargs, field):
        args = {"initial": 1, "monthly_contribution": 1, "years": 1, "mean": 0.05, "vol": 0.1} | kwargs
        with pytest.raises(CalcInputError) as e:
            monte_carlo(**args)
        assert e.value.field == field


class TestPortfolioMoments:
    def test_single_class(self):
        assert portfolio_moments({"equity": 1.0}) == pytest.approx((0.07, 0.20))

    def test_weights_must_sum_to_one(self):
        with pytest.raises(WeightsError):
            portfolio_moments({"equity": 0.5, "cash": 0.4})
        with pytest.raises(WeightsError):
            portfolio_moments({"crypto": 1.0})

"""Tests for calc.plans: closed forms against numpy_financial, validation naming the field."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.assumptions import BOUNDS, Assumptions, Range
from calc.errors import CalcInputError, WeightsError
from calc.plans import (
    INPUT_RANGES,
    balance_path,
    monthly_rate,
    plan_investment,
    plan_pension,
    plan_retirement,
    plan_simulation,
)


class TestPlanInvestment:
    @settings(max_examples=40, deadline=None)
    @given(goal=st.floats(1e4, 1e7), years=st.integers(1, 40), initial=st.floats(0, 1e4),
           ret=st.floats(0.001, 0.12))
    def test_matches_numpy_financial(self, goal, years, initial, ret):
        p = plan_investment(goal, years, initial, annual_return=ret)
        r, n = monthly_rate(ret), years * 12
        expected = max(-npf.pmt(r, n, -initial, goal), 0.0)
        assert p.required_monthly_saving == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert p.required_lump_sum == pytest.approx(max(-npf.pv(r, n, 0, goal) - initial, 0.0), rel=1e-9,
                                                    abs=1e-9)

    def test_projection_and_range(self):
        p = plan_investment(200_000, 10, 10_000, monthly_saving=1_000, annual_return=0.05)
        r = monthly_rate(0.05)
        assert p.projected_value == pytest.approx(npf.fv(r, 120, -1_000, -10_000), rel=1e-9)
        assert p.projected_range[10] < p.projected_value < p.projected_range[90]
        assert p.basis == "nominal" and p.assumptions["annual_return"] == 0.05

    def test_negative_goal_names_field(self):
        with pytest.raises(CalcInputError) as e:
            plan_investment(-1, 5)
        assert e.value.field == "goal_amount"


class TestPlanPension:
    def test_corpus_is_real_annuity(self):
        p = plan_pension(35, 60, monthly_expenses=8000, basic_pension_monthly=3000, current_savings=100_000,
                         annual_return=0.05)
        real = 1.05 / 1.025 - 1
        r = monthly_rate(real)
        assert p.corpus_needed == pytest.approx(npf.pv(r, 12 * 30, -5000), rel=1e-9)
        assert p.projected_savings == pytest.approx(npf.fv(r, 300, 0, -100_000), rel=1e-9)
        assert p.monthly_saving == pytest.approx(npf.pmt(r, 300, 0, -p.gap), rel=1e-9)
        assert p.basis == "real"

    def test_income_with_replacement_ratio(self):
        a = plan_pension(30, 60, monthly_income=10_000, annual_return=0.03)
        b = plan_pension(30, 60, monthly_expenses=7_000, annual_return=0.03)
        assert a.corpus_needed == pytest.approx(b.corpus_needed)

    def test_retirement_below_age(self):
        with pytest.raises(CalcInputError) as e:
            plan_pension(50, 45, monthly_expenses=1000)
        assert e.value.field == "retirement_age"

    def test_nan_expenses(self):
        with pytest.raises(CalcInputError) as e:
            plan_pension(30, 60, monthly_expenses=float("nan"))
        assert e.value.field == "monthly_expenses"


class TestPlanRetirement:
    def test_matches_nper(self):
        p = plan_retirement(1_000_000, 8_000, 60, annual_return=0.04, inflation=0.02)
        r = monthly_rate(1.04 / 1.02 - 1)
        assert p.months_lasting == pytest.approx(npf.nper(r, -8000, 1_000_000), rel=1e-9)
        assert p.sustainable_monthly_withdrawal == pytest.approx(npf.pmt(r, 360, -1_000_000), rel=1e-9)

    def test_never_runs_out(self):
        assert math.isinf(plan_retirement(1_000_000, 100, 60, annual_return=0.05, inflation=0.0).months_lasting)

    def test_negative_corpus(self):
        with pytest.raises(CalcInputError) as e:
            plan_retirement(-5, 100, 60)
        assert e.value.field == "corpus"


class TestPlanSimulation:
    def test_bands_and_probability(self):
        p = plan_simulation(10_000, 1_000, 10, {"fixed": 0.5, "equity": 0.5}, goal=150_000, seed=1, n_paths=2000)
        assert len(p.years) == 11 and set(p.bands) == {5, 10, 25, 50, 75, 90, 95}
        assert 0 < p.success_probability < 1
        assert p.assumptions["seed"] == 1

    def test_weights_not_summing(self):
        with pytest.raises(WeightsError):
            plan_simulation(1, 1, 1, {"equity": 0.7})


class TestMonthlyRate:
    @given(st.floats(min_value=-0.5, max_value=1.0))
    def test_twelve_months_compound_back_to_the_annual_rate(self, annual: float) -> None:
        assert (1 + monthly_rate(annual)) ** 12 - 1 == pytest.approx(annual, abs=1e-12)

    def test_zero_stays_zero(self) -> None:
        assert monthly_rate(0.0) == 0.0

    @pytest.mark.parametrize("annual", [-1.0, -1.5, float("nan"), float("inf")])
    def test_a_rate_at_or_below_minus_100_percent_or_not_finite_is_refused(self, annual: float) -> None:
        with pytest.raises(CalcInputError) as caught:
            monthly_rate(annual)
        assert caught.value.field == "annual_return"


class TestBalancePath:
    @settings(max_examples=50, deadline=None)
    @given(st.floats(0, 1e6), st.floats(0, 1e4), st.floats(-0.03, 0.1), st.integers(1, 30))
    def test_matches_numpy_financial(self, initial: float, monthly: float, rate: float, years: int) -> None:
        path = balance_path(initial, monthly, rate, years)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = npf.fv(monthly_rate(rate), 12 * years, -monthly, -initial)
        assert len(path) == years + 1 and path[0] == initial
        assert path[-1] == pytest.approx(expected, rel=1e-7, abs=1e-3)

    def test_withdrawals_stop_at_zero(self) -> None:
        assert balance_path(10_000, -1000, 0.0, 3) == [10_000.0, 0.0, 0.0, 0.0]

    def test_a_sustainable_withdrawal_ends_near_zero(self) -> None:
        plan = plan_retirement(1_000_000, 8_000, 60, annual_return=0.04, inflation=0.02)
        real = plan.assumptions["real_return"]
        path = balance_path(1_000_000, -plan.sustainable_monthly_withdrawal, real, 30)
        assert path[-2] > 0 and path[-1] == pytest.approx(0.0, abs=1e-6)


class TestInputRanges:
    """calc.plans.INPUT_RANGES and calc.assumptions.BOUNDS are the one definition the bot's forms read."""

    def test_range_bounds_and_open_low(self) -> None:
        closed, open_low = Range(0, 10), Range(0, 10, low_open=True)
        assert 0 in closed and 10 in closed and 10.5 not in closed and 0 not in open_low and 0.01 in open_low
        assert "5" not in closed and float("nan") not in closed and True not in closed

    def test_check_names_the_field_in_both_languages(self) -> None:
        with pytest.raises(CalcInputError) as caught:
            INPUT_RANGES["age"].check("age", 300)
        assert caught.value.field == "age" and caught.value.reason_zh == "年龄应在18到89之间"
        with pytest.raises(CalcInputError) as caught:
            INPUT_RANGES["goal_amount"].check("goal_amount", 0)
        assert caught.value.reason_zh == "目标金额应大于0且不超过1e+10"

    @pytest.mark.parametrize(("call", "field"), [
        (lambda: plan_pension(95, 96, monthly_expenses=1000), "age"),
        (lambda: plan_pension(30, 85, monthly_expenses=1000), "retirement_age"),
        (lambda: plan_investment(1000, 60), "years"),
        (lambda: plan_investment(0, 10), "goal_amount"),
        (lambda: plan_retirement(0, 100, 60), "corpus"),
        (lambda: plan_retirement(1000, 100, 60, inflation=0.15), "inflation"),
        (lambda: plan_simulation(0, 0, 60, {"fixed": 1.0}), "years"),
    ])
    def test_the_plans_check_their_inputs_against_the_ranges(self, call, field) -> None:
        with pytest.raises(CalcInputError) as caught:
            call()
        assert caught.value.field == field

    def test_assumption_overrides_use_the_same_bounds(self) -> None:
        """Regression: chat allowed inflation −2%..10% while calc allowed −5%..20%; now one range."""
        assert INPUT_RANGES["inflation"] is BOUNDS["inflation"]
        assert Assumptions().with_overrides(inflation=0.10).inflation == 0.10
        with pytest.raises(CalcInputError) as caught:
            Assumptions().with_overrides(inflation=0.15)
        assert caught.value.field == "inflation"
        with pytest.raises(CalcInputError):
            Assumptions().with_overrides(replacement_ratio=1.5)

    def test_a_stated_return_outside_its_range_still_computes_for_sensitivity(self) -> None:
        assert 0.16 not in INPUT_RANGES["annual_return"]
        assert plan_investment(100_000, 5, annual_return=0.16).required_monthly_saving > 0

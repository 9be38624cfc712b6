"""Tests for calc.checkup: pots, findings, target allocation, score and input validation."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.assumptions import Assumptions
from calc.checkup import (
    ASSET_CLASSES,
    BASE_ALLOCATION,
    CATEGORY_CLASS,
    CLASS_MIN_LEVEL,
    CheckupInput,
    CheckupResult,
    Finding,
    pot_gap,
    run_checkup,
    target_allocation,
)
from calc.errors import CalcInputError

VOCABULARY = {"deposit", "cash_management", "wmp", "bond_fund", "mixed_fund", "equity_fund", "index_fund",
              "qdii_fund", "gold", "annuity_insurance", "critical_illness_insurance", "life_insurance", "other"}

HEALTHY = CheckupInput(
    age=40, monthly_income=30000, monthly_expenses=10000, dependants=2,
    holdings={"deposit": 20000, "cash_management": 20000, "wmp": 150000, "bond_fund": 100000,
              "mixed_fund": 80000, "equity_fund": 60000, "gold": 15000},
    life_cover=3_600_000, critical_illness_cover=1_200_000, medical_cover=2_000_000, risk_level="C3",
    horizon_years=10, largest_position=150000, annual_premiums=30000,
)


def codes(result: CheckupResult) -> list[str]:
    return [f.code for f in result.findings]


class TestCategoryClass:
    def test_vocabulary_complete(self):
        assert set(CATEGORY_CLASS) == VOCABULARY
        assert set(CATEGORY_CLASS.values()) <= set(ASSET_CLASSES) | {"insurance", "other"}


class TestPotGap:
    @given(st.floats(0, 1e9), st.floats(0, 1e9), st.floats(0, 1e9))
    def test_sign(self, current, a, b):
        low, high = min(a, b), max(a, b)
        gap = pot_gap(current, low, high)
        assert (gap > 0) == (current < low)
        assert (gap < 0) == (current > high)


class TestTargetAllocation:
    @given(st.integers(1, 5), st.floats(0, 100))
    def test_sums_to_one_and_fits_level(self, level, horizon):
        weights = target_allocation(f"C{level}", horizon)
        assert set(weights) == set(ASSET_CLASSES)
        assert math.isclose(sum(weights.values()), 1.0, abs_tol=1e-9)
        assert all(w >= -1e-12 for w in weights.values())
        for cls, w in weights.items():
            if w > 1e-12:
                assert CLASS_MIN_LEVEL[cls] <= level, (cls, level)
        risky = sum(weights[c] for c in ("mixed", "equity", "overseas", "gold"))
        base_risky = sum(v for c, v in BASE_ALLOCATION[level].items() if c not in ("cash", "fixed"))
        assert risky <= base_risky + 1e-12

    @given(st.integers(1, 5), st.floats(0, 100), st.floats(0, 100))
    def test_shorter_horizon_never_riskier(self, level, h1, h2):
        short, long_ = sorted((h1, h2))
        eq = lambda w: w["equity"] + w["overseas"] + w["mixed"] + w["gold"]  # noqa: E731
        assert eq(target_allocation(level, short)) <= eq(target_allocation(level, long_)) + 1e-12

    @given(st.floats(0, 100), st.integers(1, 4))
    def test_higher_level_not_less_equity(self, horizon, level):
        assert target_allocation(level + 1, horizon)["equity"] >= target_allocation(level, horizon)["equity"]

    def test_c1_has_no_equity(self):
        w = target_allocation("c1", 30)
        assert w["equity"] == w["overseas"] == w["mixed"] == 0

    def test_zero_horizon_is_cash_and_fixed(self):
        w = target_allocation("C5", 0)
        assert w["cash"] + w["fixed"] == pytest.approx(1)

    @pytest.mark.parametrize("level", ["C6", "R3", 0, None])
    def test_bad_level(self, level):
        with pytest.raises(CalcInputError) as e:
            target_allocation(level, 5)
        assert e.value.field == "risk_level"

    @pytest.mark.parametrize("horizon", [-1, float("nan"), 101])
    def test_bad_horizon(self, horizon):
        with pytest.raises(CalcInputError) as e:
            target_allocation("C3", horizon)
        assert e.value.field == "horizon_years"


class TestRunCheckup:
    def test_healthy_client_has_high_score(self):
        r = run_checkup(HEALTHY)
        assert r.findings == [], r.findings
        assert r.score == 100
        assert r.reasons and "没有发现明显问题" in r.reasons[0]
        assert [p.key for p in r.pots] == ["liquidity", "protection", "growth"]
        assert [p.name_zh for p in r.pots] == ["随时要用的钱", "家庭保障的钱", "财富增值的钱"]
        assert all(p.gap == 0 for p in r.pots)

    def test_pots_values(self):
        r = run_checkup(HEALTHY)
        liq, prot, growth = r.pots
        assert (liq.current, liq.target_low, liq.target_high) == (40000, 30000, 60000)
        assert (prot.current, prot.target_low) == (3_600_000, 3_600_000)
        assert growth.current == 405000
        assert growth.target_low == 445000 - 60000 and growth.target_high == 445000 - 30000

    def test_liquidity_short_example(self):
        r = run_checkup(replace(HEALTHY, holdings={**HEALTHY.holdings, "deposit": 2000, "cash_management": 10000}))
        f = next(f for f in r.findings if f.code == "liquidity_short")
        assert f.text_zh.startswith("应急资金只够1.2个月开支")
        assert f.severity == "medium"
        assert r.pot("liquidity").gap == 30000 - 12000

    def test_liquidity_under_one_month_is_high(self):
        r = run_checkup(replace(HEALTHY, holdings={"deposit": 5000, "wmp": 100000}, largest_position=None))
        assert next(f for f in r.findings if f.code == "liquidity_short").severity == "high"

    def test_excess_liquidity_is_negative_gap(self):
        r = run_checkup(replace(HEALTHY, holdings={"deposit": 500000}))
        assert r.pot("liquidity").gap == 60000 - 500000
        assert r.pot("growth").gap > 0
        assert "liquidity_excess" in codes(r)

    def test_no_critical_illness(self):
        r = run_checkup(replace(HEALTHY, critical_illness_cover=0))
        assert r.findings[0] == Finding("no_critical_illness", "high", "没有重疾保障，一场大病可能花掉多年积蓄。")
        assert r.score == 80

    def test_critical_illness_low_and_no_medical(self):
        r = run_checkup(replace(HEALTHY, critical_illness_cover=300000, medical_cover=0))
        assert {"critical_illness_low", "no_medical"} <= set(codes(r))

    def test_life_cover_with_and_without_dependants(self):
        with_kids = run_checkup(replace(HEALTHY, life_cover=0))
        alone = run_checkup(replace(HEALTHY, life_cover=0, dependants=0))
        sev = [next(f.severity for f in r.findings if f.code == "life_cover_low") for r in (with_kids, alone)]
        assert sev == ["high", "low"]
        assert with_kids.pot("protection").gap == 3_600_000

    def test_premiums_vs_ten_percent(self):
        r = run_checkup(replace(HEALTHY, annual_premiums=72000))  # 20% of 360,000
        f = next(f for f in r.findings if f.code == "premiums_high")
        assert "20%" in f.text_zh

    def test_concentration_80_percent(self):
        r = run_checkup(replace(HEALTHY, largest_position=324000))
        f = next(f for f in r.findings if f.code == "concentration")
        assert f.severity == "high" and "财富增值的钱有80%集中在一只产品" in f.text_zh

    def test_single_class_and_above_level(self):
        r = run_checkup(replace(HEALTHY, risk_level="C1",
                                holdings={"deposit": 40000, "equity_fund": 300000}))
        assert {"single_class", "above_risk_level"} <= set(codes(r))
        assert all(r.target_allocation[c] == 0 for c in ("equity", "overseas", "mixed"))

    def test_spending_exceeds_income(self):
        r = run_checkup(replace(HEALTHY, monthly_income=8000, monthly_expenses=10000))
        assert "spending_exceeds_income" in codes(r)

    def test_findings_sorted_and_top(self):
        r = run_checkup(CheckupInput(30, 10000, 9000, 1, {"deposit": 1000, "equity_fund": 50000},
                                     risk_level="C2", largest_position=50000, annual_premiums=50000))
        order = {"high": 0, "medium": 1, "low": 2}
        assert [order[f.severity] for f in r.findings] == sorted(order[f.severity] for f in r.findings)
        assert r.top_findings(3) == r.findings[:3] and len(r.top_findings(3)) == 3
        assert r.top_findings(0) == []
        assert r.score == max(0, 100 - sum({"high": 20, "medium": 10, "low": 4}[f.severity] for f in r.findings))
        assert len(r.reasons) == len(r.findings)

    def test_assumptions_overridable_and_reported(self):
        a = Assumptions().with_overrides(emergency_months_low=6, emergency_months_high=12)
        r = run_checkup(HEALTHY, a)
        assert r.pot("liquidity").target_low == 60000
        assert r.assumptions["emergency_months_low"] == 6
        assert "liquidity_short" in codes(r)

    def test_insurance_holdings_outside_pots(self):
        r = run_checkup(replace(HEALTHY, holdings={**HEALTHY.holdings, "life_insurance": 99999}))
        assert r.pot("growth").current == 405000
        assert math.isclose(sum(r.current_allocation.values()), 1.0)

    def test_zero_income_and_expenses(self):
        r = run_checkup(CheckupInput(70, 0, 0, holdings={}))
        assert 0 <= r.score <= 100
        assert r.pot("liquidity").gap == 0

    @settings(max_examples=60, deadline=None)
    @given(st.floats(0, 1e6), st.floats(0, 1e6))
    def test_more_liquidity_never_worsens_shortfall(self, cash, extra):
        base = run_checkup(replace(HEALTHY, holdings={"deposit": cash, "bond_fund": 1e5}, largest_position=None))
        more = run_checkup(replace(HEALTHY, holdings={"deposit": cash + extra, "bond_fund": 1e5},
                                    largest_position=None))
        assert max(more.pot("liquidity").gap, 0) <= max(base.pot("liquidity").gap, 0)

    @settings(max_examples=80, deadline=None)
    @given(
        age=st.integers(18, 100), income=st.floats(0, 1e6), expenses=st.floats(0, 1e6),
        dependants=st.integers(0, 5),
        holdings=st.dictionaries(st.sampled_from(sorted(VOCABULARY)), st.floats(0, 1e8), max_size=6),
        cover=st.floats(0, 1e8), level=st.integers(1, 5), horizon=st.floats(0, 40),
    )
    def test_score_in_range_and_allocation_valid(self, age, income, expenses, dependants, holdings, cover,
                                                 level, horizon):
        r = run_checkup(CheckupInput(age, income, expenses, dependants, holdings, cover, cover, cover,
                                     f"C{level}", horizon))
        assert 0 <= r.score <= 100
        assert math.isclose(sum(r.target_allocation.values()), 1.0, abs_tol=1e-9)
        for cls, w in r.target_allocation.items():
            assert w <= 1e-12 or CLASS_MIN_LEVEL[cls] <= level


BAD_FIELDS = [
    ("age", {"age": 17}), ("age", {"age": 101}), ("age", {"age": float("nan")}),
    ("monthly_income", {"monthly_income": -1}), ("monthly_income", {"monthly_income": 2e7}),
    ("monthly_income", {"monthly_income": float("nan")}), ("monthly_income", {"monthly_income": "abc"}),
    ("monthly_expenses", {"monthly_expenses": 5e7}), ("monthly_expenses", {"monthly_expenses": -5}),
    ("monthly_expenses", {"monthly_expenses": float("inf")}),
    ("dependants", {"dependants": -1}), ("dependants", {"dependants": 1.5}), ("dependants", {"dependants": 50}),
    ("holdings", {"holdings": {"crypto": 100}}), ("holdings", {"holdings": {"deposit": -100}}),
    ("holdings", {"holdings": {"deposit": float("nan")}}), ("holdings", {"holdings": [("deposit", 1)]}),
    ("life_cover", {"life_cover": -1}), ("critical_illness_cover", {"critical_illness_cover": float("nan")}),
    ("medical_cover", {"medical_cover": -3}),
    ("risk_level", {"risk_level": "C6"}), ("risk_level", {"risk_level": "R3"}), ("risk_level", {"risk_level": None}),
    ("horizon_years", {"horizon_years": -1}), ("horizon_years", {"horizon_years": float("nan")}),
    ("largest_position", {"largest_position": -1}), ("largest_position", {"largest_position": 1e9}),
    ("annual_premiums", {"annual_premiums": -10}), ("annual_premiums", {"annual_premiums": float("nan")}),
]


class TestRunCheckupBadInput:
    @pytest.mark.parametrize("field,change", BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_FIELDS)])
    def test_named_field(self, field, change):
        with pytest.raises(CalcInputError) as e:
            run_checkup(replace(HEALTHY, **change))
        assert e.value.field == field
        assert e.value.reason_zh

    def test_not_an_input(self):
        with pytest.raises(CalcInputError) as e:
            run_checkup({"age": 30})  # type: ignore[arg-type]
        assert e.value.field == "inp"

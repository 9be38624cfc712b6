"""Tests for calc.score: the three sub-scores, the total and the categories that would raise it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calc.checkup import CheckupInput, run_checkup
from calc.errors import CalcInputError
from calc.score import (
    WEIGHTS,
    activity_score,
    allocation_score,
    health_score,
    potential_score,
    raise_with,
)

GOOD = CheckupInput(
    age=40, monthly_income=30000, monthly_expenses=10000, dependants=2,
    holdings={"deposit": 40000, "wmp": 150000, "bond_fund": 100000, "mixed_fund": 80000, "equity_fund": 60000,
              "gold": 15000},
    life_cover=3_600_000, critical_illness_cover=1_200_000, medical_cover=2_000_000, risk_level="C3",
    horizon_years=10, largest_position=150000, annual_premiums=30000,
)
POOR = CheckupInput(age=40, monthly_income=30000, monthly_expenses=10000, dependants=2,
                    holdings={"equity_fund": 400000}, risk_level="C3", horizon_years=10)

ACTIVE = {"days_since_contact": 5, "days_since_login": 1, "days_since_transaction": 10, "contacts_90d": 4,
          "logins_90d": 12, "transactions_90d": 3}


def score(checkup_input=GOOD, risks=("R2", "R3"), **kw):
    args = {**ACTIVE, "monthly_income": 30000, "bank_assets": 445000, "maturing_90d": 0, "age": 40, **kw}
    return health_score(checkup=run_checkup(checkup_input), client_level=checkup_input.risk_level,
                        holding_risks=list(risks), **args)


class TestActivityScore:
    def test_full_and_empty(self):
        full = activity_score({"contacts": 0, "logins": 0, "transactions": 0},
                              {"contacts": 9, "logins": 9, "transactions": 9})
        assert full.value == 100
        empty = activity_score({"contacts": None, "logins": None, "transactions": None}, {})
        assert empty.value == 0 and "还没有任何互动记录" in empty.reason_zh

    @given(st.integers(0, 1000), st.integers(0, 1000))
    def test_more_recent_never_lower(self, d1, d2):
        near, far = sorted((d1, d2))
        a = activity_score({"transactions": near}, {})
        b = activity_score({"transactions": far}, {})
        assert a.value >= b.value

    def test_reason_mentions_counts(self):
        s = activity_score({"contacts": 20, "logins": 3, "transactions": None},
                           {"contacts": 1, "logins": 2, "transactions": 0})
        assert "3天前" in s.reason_zh and "登录2次" in s.reason_zh

    @pytest.mark.parametrize("field,days,counts", [
        ("days_since_contact", {"contacts": -1}, {}), ("days_since_login", {"logins": float("nan")}, {}),
        ("transactions_90d", {}, {"transactions": -2}),
    ])
    def test_bad_input(self, field, days, counts):
        with pytest.raises(CalcInputError) as e:
            activity_score(days, counts)
        assert e.value.field == field


class TestAllocationScore:
    def test_good_beats_poor(self):
        good = allocation_score(run_checkup(GOOD), ["R2", "R3"], "C3")
        poor = allocation_score(run_checkup(POOR), ["R4"], "C3")
        assert good.value > poor.value + 30
        assert "超出您的风险等级" in poor.reason_zh and "承受范围内" in good.reason_zh

    def test_suitability_counts(self):
        r = run_checkup(GOOD)
        all_ok = allocation_score(r, ["R1", "R3"], "C3").value
        half = allocation_score(r, ["R1", "R5"], "C3").value
        assert all_ok - half == pytest.approx(15, abs=0.11)

    @pytest.mark.parametrize("field,args", [
        ("checkup", ({"pots": []}, [], "C3")), ("client_level", (None, [], "C9")),
        ("holding_risks", (None, ["R7"], "C3")), ("holding_risks", (None, "R1", "C3")),
    ])
    def test_bad_input(self, field, args):
        checkup = run_checkup(GOOD) if args[0] is None else args[0]
        with pytest.raises(CalcInputError) as e:
            allocation_score(checkup, args[1], args[2])
        assert e.value.field == field


class TestPotentialScore:
    def test_elsewhere_estimate(self):
        s = potential_score(20000, 240000, 0, 35)
        assert s.value == pytest.approx(100 * 0.7 * 480000 / 720000, abs=0.05)
        assert "480,000.00元" in s.reason_zh

    def test_all_assets_here_no_maturity_is_zero(self):
        assert potential_score(10000, 10_000_000, 0, 50).value == 0

    def test_maturities_raise_potential(self):
        assert potential_score(10000, 1e6, 5e5, 50).value > potential_score(10000, 1e6, 0, 50).value
        assert "到期" in potential_score(10000, 1e6, 5e5, 50).reason_zh

    def test_age_band_changes_estimate(self):
        assert potential_score(20000, 300000, 0, 25).value < potential_score(20000, 300000, 0, 55).value

    @pytest.mark.parametrize("field,args", [
        ("monthly_income", (-1, 0, 0, 40)), ("bank_assets", (1, float("nan"), 0, 40)),
        ("maturing_90d", (1, 0, -5, 40)), ("age", (1, 0, 0, 12)),
    ])
    def test_bad_input(self, field, args):
        with pytest.raises(CalcInputError) as e:
            potential_score(*args)
        assert e.value.field == field


class TestRaiseWith:
    def test_poor_client_gets_protection_first(self):
        cats = raise_with(run_checkup(POOR))
        assert cats[0] in {"critical_illness_insurance", "life_insurance", "cash_management"}
        assert len(cats) == 3 and len(set(cats)) == 3

    def test_never_above_level(self):
        c1 = replace(POOR, risk_level="C1", holdings={"deposit": 400000})
        cats = raise_with(run_checkup(c1), n=10)
        assert not {"index_fund", "mixed_fund", "qdii_fund", "gold"} & set(cats)

    def test_balanced_client_needs_little(self):
        cats = raise_with(run_checkup(GOOD))
        assert cats == ["mixed_fund"]  # 18% held vs 25% target; protection and liquidity are fine


class TestHealthScore:
    def test_weights_sum_to_one(self):
        assert sum(WEIGHTS.values()) == pytest.approx(1)

    def test_total_is_weighted_sum(self):
        s = score()
        expected = (0.30 * s.activity.value + 0.45 * s.allocation.value + 0.25 * s.potential.value)
        assert s.total == pytest.approx(expected, abs=0.051)
        assert s.activity.reason_zh and s.allocation.reason_zh and s.potential.reason_zh

    def test_active_balanced_beats_inactive_poor(self):
        inactive = {"days_since_contact": None, "days_since_login": 400, "days_since_transaction": None,
                    "contacts_90d": 0, "logins_90d": 0, "transactions_90d": 0}
        assert score().total > score(POOR, ("R4",), **inactive).total

    @settings(max_examples=60, deadline=None)
    @given(days=st.one_of(st.none(), st.integers(0, 3000)), count=st.integers(0, 50),
           income=st.floats(0, 1e6), assets=st.floats(0, 1e9), maturing=st.floats(0, 1e9),
           age=st.integers(18, 100), risks=st.lists(st.integers(1, 5), max_size=5))
    def test_within_0_100(self, days, count, income, assets, maturing, age, risks):
        s = score(risks=risks, days_since_contact=days, days_since_login=days, days_since_transaction=days,
                  contacts_90d=count, logins_90d=count, transactions_90d=count, monthly_income=income,
                  bank_assets=assets, maturing_90d=maturing, age=age)
        for value in (s.total, s.activity.value, s.allocation.value, s.potential.value):
            assert 0 <= value <= 100

    def test_bad_field_named(self):
        with pytest.raises(CalcInputError) as e:
            score(logins_90d=-1)
        assert e.value.field == "logins_90d"

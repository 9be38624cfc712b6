"""Tests for calc.rewards: tiers, allocation improvement, welcome back, configurable rules, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calc.errors import CalcInputError
from calc.rewards import RewardRules, evaluate_rewards, months_between, tier_index

TODAY = date(2026, 11, 29)
RECENT = date(2026, 11, 1)


def codes(result):
    return [r.code for r in result.earned]


class TestRewardRules:
    def test_defaults(self):
        rules = RewardRules()
        assert [t for t, _ in rules.tiers] == [50_000, 500_000, 6_000_000]
        assert rules.inactivity_months == 6 and rules.allocation_improvement == 5

    @pytest.mark.parametrize("field,kw", [
        ("tiers", {"tiers": ()}), ("tiers", {"tiers": ((100.0, "A"), (50.0, "B"))}),
        ("tiers", {"tiers": ((-1.0, "A"),)}), ("tiers", {"tiers": ((100.0, ""),)}),
        ("allocation_improvement", {"allocation_improvement": 0}),
        ("allocation_improvement", {"allocation_improvement": float("nan")}),
        ("inactivity_months", {"inactivity_months": 0}), ("inactivity_months", {"inactivity_months": 2.5}),
    ])
    def test_bad_rules(self, field, kw):
        with pytest.raises(CalcInputError) as e:
            RewardRules(**kw)
        assert e.value.field == field


class TestTierIndex:
    @given(st.floats(0, 1e8), st.floats(0, 1e8))
    def test_monotone(self, a, b):
        low, high = sorted((a, b))
        assert tier_index(low, RewardRules()) <= tier_index(high, RewardRules())


class TestMonthsBetween:
    def test_examples(self):
        assert months_between(date(2026, 5, 29), TODAY) == 6
        assert months_between(date(2026, 5, 30), TODAY) == 5
        assert months_between(TODAY, TODAY) == 0


class TestEvaluateRewards:
    def test_nothing_earned(self):
        r = evaluate_rewards(60_000, 70_000, 60, 62, RECENT, TODAY)
        assert r.earned == []
        assert (r.current_tier, r.next_tier, r.amount_to_next_tier) == ("金卡客户", "财富客户", 430_000)

    def test_tier_up_with_reason(self):
        r = evaluate_rewards(480_000, 520_000, 60, 60, RECENT, TODAY)
        assert codes(r) == ["tier_up"]
        assert r.earned[0].title_zh == "升级为财富客户"
        assert "500,000.00元" in r.earned[0].reason_zh

    def test_skipping_a_tier_is_one_reward(self):
        r = evaluate_rewards(10_000, 7_000_000, 60, 60, RECENT, TODAY)
        assert codes(r) == ["tier_up"] and r.current_tier == "私人银行客户"
        assert r.next_tier is None and r.amount_to_next_tier == 0

    def test_falling_tier_earns_nothing(self):
        r = evaluate_rewards(600_000, 400_000, 60, 60, RECENT, TODAY)
        assert r.earned == [] and r.current_tier == "金卡客户"

    def test_base_tier(self):
        r = evaluate_rewards(0, 10_000, 0, 0, RECENT, TODAY)
        assert (r.current_tier, r.next_tier, r.amount_to_next_tier) == ("普通客户", "金卡客户", 40_000)

    def test_allocation_threshold_inclusive(self):
        assert codes(evaluate_rewards(0, 0, 50, 55, RECENT, TODAY)) == ["allocation_up"]
        assert codes(evaluate_rewards(0, 0, 50, 54.9, RECENT, TODAY)) == []

    def test_welcome_back_after_six_months(self):
        r = evaluate_rewards(0, 0, 0, 0, date(2026, 5, 29), TODAY)
        assert codes(r) == ["welcome_back"] and "6个月" in r.earned[0].reason_zh
        assert codes(evaluate_rewards(0, 0, 0, 0, date(2026, 5, 30), TODAY)) == []

    def test_custom_rules(self):
        rules = RewardRules(tiers=((1000.0, "铜"), (2000.0, "银")), allocation_improvement=1, inactivity_months=1)
        r = evaluate_rewards(500, 1500, 10, 11, date(2026, 10, 29), TODAY, rules)
        assert codes(r) == ["tier_up", "allocation_up", "welcome_back"]
        assert (r.current_tier, r.next_tier, r.amount_to_next_tier) == ("铜", "银", 500)

    @given(st.floats(0, 1e8), st.floats(0, 1e8), st.floats(0, 100), st.floats(0, 100))
    def test_properties(self, before, now, s1, s2):
        r = evaluate_rewards(before, now, s1, s2, RECENT, TODAY)
        assert ("tier_up" in codes(r)) == (tier_index(now, RewardRules()) > tier_index(before, RewardRules()))
        assert ("allocation_up" in codes(r)) == (s2 - s1 >= 5)
        assert r.amount_to_next_tier >= 0

    @pytest.mark.parametrize("field,args", [
        ("previous_assets", (-1, 0, 0, 0, RECENT, TODAY)), ("current_assets", (0, float("nan"), 0, 0, RECENT, TODAY)),
        ("previous_allocation_score", (0, 0, 101, 0, RECENT, TODAY)),
        ("current_allocation_score", (0, 0, 0, -1, RECENT, TODAY)),
        ("last_active", (0, 0, 0, 0, date(2027, 1, 1), TODAY)), ("last_active", (0, 0, 0, 0, "2026-01-01", TODAY)),
        ("today", (0, 0, 0, 0, RECENT, None)),
    ])
    def test_bad_input(self, field, args):
        with pytest.raises(CalcInputError) as e:
            evaluate_rewards(*args)
        assert e.value.field == field

    def test_bad_rules_type(self):
        with pytest.raises(CalcInputError) as e:
            evaluate_rewards(0, 0, 0, 0, RECENT, TODAY, rules={"tiers": []})  # type: ignore[arg-type]
        assert e.value.field == "rules"

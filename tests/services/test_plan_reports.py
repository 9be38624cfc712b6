"""services.plan_reports: the numbers in the payload are calc's numbers, the charts fit the schema, ranges not
points; plan_report computes, saves the proposal and returns what chat shows."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import Identity
from bank.models import Proposal
from calc.assumptions import Assumptions
from calc.errors import CalcInputError
from calc.money import fmt_approx, fmt_pct, fmt_range, fmt_yuan
from calc.plans import (
    SimulationPlan,
    plan_investment,
    plan_pension,
    plan_retirement,
    plan_simulation,
)
from calc.simulate import PERCENTILES
from services.plan_payloads import RISK_NOTICE, plan_payload, projection_chart
from services.plan_reports import plan_report
from services.plans import MIXES, PLAN_KINDS, client_inputs, compute_plan, mix_weights

INVESTMENT = {"goal_amount": 1_000_000, "years": 10, "initial": 100_000, "monthly_saving": 5000}
PENSION = {"age": 35, "retirement_age": 60, "monthly_income": 20_000, "basic_pension_monthly": 4000,
           "current_savings": 200_000}
RETIREMENT = {"age": 60, "corpus": 1_500_000, "monthly_withdrawal": 8000}
SIMULATION = {"initial": 100_000, "monthly_contribution": 3000, "years": 10, "mix": "平衡", "goal": 600_000,
              "n_paths": 2000}
INPUTS = {"plan_investment": INVESTMENT, "plan_pension": PENSION, "plan_retirement": RETIREMENT,
          "plan_simulation": SIMULATION}
CHART_KINDS = {"pie", "pie_pair", "fan", "bars", "line", "drawdown"}


def payload_for(kind: str, **changes: object) -> dict:
    inputs = {**INPUTS[kind], **changes}
    return plan_payload(kind, inputs, compute_plan(kind, inputs))


def text_of(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


class TestComputePlan:
    def test_investment_is_calc_with_the_default_return(self) -> None:
        plan = compute_plan("plan_investment", INVESTMENT)
        expected = plan_investment(1_000_000, 10, 100_000, 5000, annual_return=0.04)
        assert plan.required_monthly_saving == pytest.approx(expected.required_monthly_saving)
        assert plan.projected_value == pytest.approx(expected.projected_value)

    def test_pension_uses_the_changed_assumptions(self) -> None:
        plan = compute_plan("plan_pension", {**PENSION, "inflation": 0.03, "replacement_ratio": 0.8,
                                             "annual_return": 0.05})
        expected = plan_pension(35, 60, monthly_income=20_000, basic_pension_monthly=4000, current_savings=200_000,
                                annual_return=0.05,
                                assumptions=Assumptions().with_overrides(inflation=0.03, replacement_ratio=0.8))
        assert plan.corpus_needed == pytest.approx(expected.corpus_needed)
        assert plan.monthly_saving == pytest.approx(expected.monthly_saving)

    def test_retirement_and_simulation_match_calc(self) -> None:
        assert compute_plan("plan_retirement", RETIREMENT).months_lasting == pytest.approx(
            plan_retirement(1_500_000, 8000, 60).months_lasting)
        sim = compute_plan("plan_simulation", SIMULATION)
        expected = plan_simulation(100_000, 3000, 10, MIXES["平衡"], goal=600_000, n_paths=2000)
        assert sim.bands[50][-1] == pytest.approx(expected.bands[50][-1])
        assert sim.success_probability == pytest.approx(expected.success_probability)

    def test_unknown_kind_and_bad_values_raise(self) -> None:
        with pytest.raises(ValueError, match="kind"):
            compute_plan("checkup", INVESTMENT)
        with pytest.raises(CalcInputError):
            compute_plan("plan_pension", {**PENSION, "retirement_age": 30})
        with pytest.raises(ValueError, match="mix"):
            mix_weights("随便")

    def test_every_mix_sums_to_one(self) -> None:
        for weights in MIXES.values():
            assert math.isclose(sum(weights.values()), 1.0)


class TestPayloadSchema:
    @pytest.mark.parametrize("kind", PLAN_KINDS)
    def test_schema_and_json(self, kind: str) -> None:
        payload = payload_for(kind)
        assert set(payload) >= {"title", "subject", "summary", "sections", "charts", "assumptions", "products",
                                "risk_notice"}
        assert payload["subject"] == "访客" and payload["products"] == []
        assert 3 <= len(payload["summary"]) <= 5 and all(isinstance(line, str) for line in payload["summary"])
        assert payload["risk_notice"] == RISK_NOTICE and "不构成任何收益承诺" in RISK_NOTICE
        for chart in payload["charts"]:
            assert chart["kind"] in CHART_KINDS and chart["name"].isidentifier() and chart["title"]
            if chart["kind"] == "line":
                assert all(len(v) == len(chart["data"]["x"]) for v in chart["data"]["series"].values())
        for label, value in payload["assumptions"]:
            assert label and value
        json.dumps(payload)  # display-ready JSON

    def test_subject_is_passed_through(self) -> None:
        inputs = INPUTS["plan_retirement"]
        payload = plan_payload("plan_retirement", inputs, compute_plan("plan_retirement", inputs), subject="张*")
        assert payload["subject"] == "张*"


class TestInvestmentPayload:
    def test_summary_states_calc_numbers_and_a_range(self) -> None:
        plan = compute_plan("plan_investment", INVESTMENT)
        payload = payload_for("plan_investment")
        summary = "\n".join(payload["summary"])
        assert f"每月定投约{fmt_approx(plan.required_monthly_saving)}" in summary
        assert f"一次性投入约{fmt_approx(plan.required_lump_sum)}" in summary
        assert fmt_range(plan.projected_range[10], plan.projected_range[90]) in summary
        assert "攒到100万元，现有100,000.00元" in summary  # the target as a person says it, the balance exact

    def test_a_stated_target_is_not_rounded_away(self) -> None:
        summary = "\n".join(payload_for("plan_investment", goal_amount=1_250_000)["summary"])
        assert "攒到125万元" in summary

    def test_line_chart_ends_at_calc_projection_and_the_goal(self) -> None:
        plan = compute_plan("plan_investment", INVESTMENT)
        chart = payload_for("plan_investment")["charts"][0]
        assert (chart["name"], chart["kind"]) == ("projection", "line")
        assert chart["data"]["x"] == list(range(11))
        series = list(chart["data"]["series"].values())
        assert series[0][-1] == pytest.approx(plan.projected_value, abs=0.01)
        assert series[1][-1] == pytest.approx(1_000_000, abs=0.05)  # the required saving reaches the goal
        assert series[2] == [1_000_000.0] * 11

    def test_default_and_changed_return_are_labelled(self) -> None:
        assert payload_for("plan_investment")["assumptions"][0] == ["预期年化收益", "4.00%（默认，可改）"]
        assert payload_for("plan_investment", annual_return=0.05)["assumptions"][0] == ["预期年化收益", "5.00%（您设定）"]

    def test_goal_reached_says_so_without_promising(self) -> None:
        summary = "\n".join(payload_for("plan_investment", monthly_saving=8000)["summary"])
        assert "中性估计可以达成目标" in summary and "也可能差一些" in summary


class TestPensionPayload:
    def test_numbers_and_sensitivity_range(self) -> None:
        plan = compute_plan("plan_pension", PENSION)
        high = compute_plan("plan_pension", {**PENSION, "annual_return": 0.05})
        low = compute_plan("plan_pension", {**PENSION, "annual_return": 0.03})
        summary = "\n".join(payload_for("plan_pension")["summary"])
        for value in (plan.corpus_needed, plan.gap, plan.monthly_saving):
            assert f"约{fmt_approx(value)}" in summary
        assert fmt_range(high.monthly_saving, low.monthly_saving) in summary
        assert fmt_yuan(4000) in summary and fmt_yuan(200_000) in summary  # what the user stated, exact
        assert "70%" in summary and "今天的购买力" in summary

    def test_charts_show_accumulation_and_gap(self) -> None:
        plan = compute_plan("plan_pension", PENSION)
        line, bars = payload_for("plan_pension")["charts"]
        assert line["kind"] == "line" and line["data"]["x"][0] == 35 and line["data"]["x"][-1] == 60
        saving_path = line["data"]["series"]["按建议每月储蓄"]
        assert saving_path[-1] == pytest.approx(plan.corpus_needed, rel=1e-6)  # the advised saving closes the gap
        assert bars["kind"] == "bars"
        assert bars["data"]["series"]["金额"] == pytest.approx([plan.corpus_needed, plan.projected_savings, plan.gap],
                                                              abs=0.01)

    def test_assumptions_state_defaults(self) -> None:
        rows = dict(payload_for("plan_pension")["assumptions"])
        assert rows["通货膨胀"] == "2.50%（默认，可改）" and rows["收入替代率"] == "70%（默认，可改）"
        assert rows["规划寿命"].startswith("90岁")
        changed = dict(payload_for("plan_pension", inflation=0.03)["assumptions"])
        assert changed["通货膨胀"] == "3.00%（您设定）"

    def test_no_gap(self) -> None:
        summary = "\n".join(payload_for("plan_pension", current_savings=10_000_000)["summary"])
        assert "已能覆盖" in summary


class TestRetirementPayload:
    def test_years_lasting_range_and_sustainable_withdrawal(self) -> None:
        plan = compute_plan("plan_retirement", RETIREMENT)
        summary = "\n".join(payload_for("plan_retirement")["summary"])
        assert f"约{plan.years_lasting:.1f}年" in summary
        assert f"每月可取约{fmt_approx(plan.sustainable_monthly_withdrawal)}" in summary
        assert "～" in summary and "早于规划寿命" in summary

    def test_sustainable_path_lasts_to_life_expectancy(self) -> None:
        chart = payload_for("plan_retirement")["charts"][0]
        assert chart["data"]["x"] == list(range(60, 91))
        current, sustainable = chart["data"]["series"].values()
        assert current[-1] == 0.0 and 0 in current[:30]  # 17.7 years: gone before 90
        assert sustainable[-2] > 0 and sustainable[-1] == pytest.approx(0.0, abs=1.0)

    def test_never_exhausted(self) -> None:
        summary = "\n".join(payload_for("plan_retirement", monthly_withdrawal=100)["summary"])
        assert "一直用不完" in summary


class TestSimulationPayload:
    def test_projection_chart_carries_calc_bands_and_the_target(self) -> None:
        plan = compute_plan("plan_simulation", SIMULATION)
        chart = payload_for("plan_simulation")["charts"][0]
        assert chart["name"] == "projection" and chart["data"]["x"] == list(range(11))
        if chart["kind"] == "fan":  # calc reports p5 … p95
            bands = chart["data"]["bands"]
            assert set(bands) == {"p5", "p25", "p50", "p75", "p95"} and chart["data"]["target"] == 600_000
            low, mid, high = bands["p5"], bands["p50"], bands["p95"]
        else:  # calc reports p10 … p90: one line per outer band, the median and the goal
            assert chart["kind"] == "line" and set(PERCENTILES) == {10, 25, 50, 75, 90}
            low, mid, high, goal = chart["data"]["series"].values()
            assert goal == [600_000.0] * 11
        assert mid[-1] == pytest.approx(plan.bands[50][-1], abs=0.01)
        assert all(low[i] <= mid[i] <= high[i] for i in range(11)) and low[-1] < high[-1]

    @pytest.mark.parametrize("percentiles", [(10, 25, 50, 75, 90), (5, 10, 25, 50, 75, 90, 95)])
    def test_fan_once_calc_reports_p5_and_p95(self, percentiles: tuple[int, ...]) -> None:
        bands = {p: [float(p), float(p) * 2] for p in percentiles}
        plan = SimulationPlan([0, 1], bands, 0.5)
        chart = projection_chart(plan, 100.0)
        if 5 in percentiles:
            assert chart["kind"] == "fan" and chart["data"]["bands"] == {
                f"p{p}": bands[p] for p in (5, 25, 50, 75, 95)} and chart["data"]["target"] == 100.0
        else:
            assert chart["kind"] == "line"
            assert list(chart["data"]["series"]) == ["较差情况（10%分位）", "中间情况（中位数）", "较好情况（90%分位）",
                                                     "目标金额"]

    def test_summary_gives_a_range_and_the_probability(self) -> None:
        plan = compute_plan("plan_simulation", SIMULATION)
        summary = "\n".join(payload_for("plan_simulation")["summary"])
        assert fmt_approx(plan.bands[10][-1]) in summary and fmt_approx(plan.bands[90][-1]) in summary
        assert fmt_pct(plan.success_probability, 0) in summary and "达到目标60万元" in summary
        assert fmt_yuan(100_000 + 3000 * 120) in summary  # the principal is a sum of inputs: exact

    def test_without_goal(self) -> None:
        payload = payload_for("plan_simulation", goal=0)
        data = payload["charts"][0]["data"]
        assert data.get("target") is None and "目标金额" not in data.get("series", {})
        assert not any("可能性" in line for line in payload["summary"])


class TestClientInputs:
    def test_known_client_age_and_income(self, demo_db_url: str, people: dict) -> None:
        from bank.db import session_scope

        client = people["client"]
        with session_scope(demo_db_url) as session:
            known = client_inputs(session, client.client_id)
            assert 18 <= known["age"] <= 100 and known["monthly_income"] > 0
            assert client_inputs(session, 10**9) == {}


class TestPlanReport:
    """The use case chat and web share: compute, save the proposal, return the lines, chart link and card."""

    @pytest.fixture
    def bank_env(self, demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://bank.example")
        return demo_db_url

    def test_visitor_report_is_saved_with_its_card(self, bank_env: str) -> None:
        with session_scope(bank_env) as session:
            report = plan_report(session, "plan_investment", INVESTMENT, None)
        assert report.title == "投资规划" and report.summary[0].startswith("目标：10年后攒到100万元")
        assert report.risk_notice == RISK_NOTICE and report.token
        assert report.chart_url == f"https://bank.example/proposals/{report.token}/charts/projection.png"
        assert report.card == {"type": "card", "title": "投资规划建议书", "description": report.summary[0],
                               "url": f"https://bank.example/proposals/{report.token}", "button_text": "查看建议书"}
        with session_scope(bank_env) as session:
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == report.token)).one()
            assert proposal.kind == "plan_investment" and proposal.client_id is None
            assert proposal.payload == report.payload and proposal.payload["subject"] == "访客"

    def test_client_report_is_theirs_and_masked(self, bank_env: str, people: dict[str, Identity]) -> None:
        client = people["client"]
        with session_scope(bank_env) as session:
            report = plan_report(session, "plan_retirement", RETIREMENT, client)
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == report.token)).one()
            assert proposal.client_id == client.client_id
        assert report.payload["subject"] == client.name[0] + "*" * (len(client.name) - 1)

    def test_staff_report_is_not_filed_under_anyone(self, bank_env: str, people: dict[str, Identity]) -> None:
        with session_scope(bank_env) as session:
            report = plan_report(session, "plan_simulation", SIMULATION, people["advisor"])
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == report.token)).one()
            assert proposal.client_id is None

    def test_calc_refusal_raises_before_anything_is_saved(self, bank_env: str) -> None:
        with session_scope(bank_env) as session, pytest.raises(CalcInputError) as caught:
            plan_report(session, "plan_pension", {**PENSION, "retirement_age": 95}, None)
        assert caught.value.field == "retirement_age" and "40到80" in caught.value.reason_zh

    def test_database_outage_keeps_the_figures_without_a_link(self) -> None:
        engine = create_engine("sqlite:////nonexistent-dir/never/bank.db")
        with Session(engine) as session:
            report = plan_report(session, "plan_investment", INVESTMENT, None)
        assert report.token is None and report.card is None and report.chart_url is None
        assert "每月定投" in report.summary[1]

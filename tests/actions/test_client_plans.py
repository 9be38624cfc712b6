"""actions.client.plans and plan_slots in the rasa-demo style: a Tracker and a CollectingDispatcher, assertions on
events and replies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.client.plans import (
    ActionPlanInvestment,
    ActionPlanPension,
    ActionPlanRecalculate,
    ActionPlanRetirement,
    ActionPlanSimulation,
    ValidatePlanInvestmentForm,
    ValidatePlanPensionForm,
    ValidatePlanRetirementForm,
    ValidatePlanSimulationForm,
)
from bank.db import session_scope
from bank.directory import Identity
from bank.models import Proposal, UsageEvent
from calc.money import fmt_approx
from calc.plans import INPUT_RANGES
from services.plans import compute_plan
from tests.actions.kit import make_tracker, run_action

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
VISITOR = "visitor-unit-test"


@pytest.fixture
def bank_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bank.example")
    return demo_db_url


def fill(action: Any, text: str, asked: str | None, *, intent: str = "inform", slots: dict[str, Any] | None = None,
         role: str = "unknown", sender: str = VISITOR) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run a form's validation action on one message; return (responses, {slot: value} it set)."""
    tracker = make_tracker(sender, text, intent, slots={"role": role, "requested_slot": asked, **(slots or {})},
                           active_loop=action.form, events=[{"event": "user", "text": text}])
    messages, events = run_action(action, tracker, DOMAIN)
    return messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") or "" for m in messages]


class TestExtraction:
    @pytest.mark.parametrize(("text", "value"), [("一百二十万", 1_200_000.0), ("50w", 500_000.0), ("2万5", 25_000.0),
                                                 ("两万五", 25_000.0), ("目标是100万吧", 1_000_000.0)])
    def test_amount_in_any_form(self, text: str, value: float) -> None:
        messages, slots = fill(ValidatePlanInvestmentForm(), text, "plan_goal_amount")
        assert slots == {"plan_goal_amount": value} and messages == []

    def test_years_and_age(self) -> None:
        assert fill(ValidatePlanInvestmentForm(), "大概十年吧", "plan_years")[1] == {"plan_years": 10}
        assert fill(ValidatePlanPensionForm(), "我今年三十五岁", "plan_age")[1] == {"plan_age": 35}

    def test_nothing_means_zero_where_zero_makes_sense(self) -> None:
        assert fill(ValidatePlanInvestmentForm(), "没有", "plan_initial")[1] == {"plan_initial": 0.0}
        assert fill(ValidatePlanPensionForm(), "不知道", "plan_basic_pension")[1] == {"plan_basic_pension": 0.0}
        assert fill(ValidatePlanSimulationForm(), "没有目标", "plan_goal_amount")[1] == {"plan_goal_amount": 0.0}

    def test_but_not_for_a_retirement_corpus(self) -> None:
        messages, slots = fill(ValidatePlanRetirementForm(), "没有", "plan_initial")
        assert slots == {"plan_initial": None} and responses(messages) == ["utter_plan_invalid_corpus"]

    def test_mix_from_words_and_buttons(self) -> None:
        assert fill(ValidatePlanSimulationForm(), "激进一点", "plan_risk_mix")[1] == {"plan_risk_mix": "进取"}
        assert fill(ValidatePlanSimulationForm(), "稳健", "plan_risk_mix")[1] == {"plan_risk_mix": "稳健"}


class TestCorrectionsAndAssumptions:
    def test_correction_names_another_field(self) -> None:
        messages, slots = fill(ValidatePlanInvestmentForm(), "不对，每月能存5000", "plan_initial", intent="deny",
                               slots={"plan_monthly_saving": 3000.0})
        assert slots == {"plan_monthly_saving": 5000.0}  # the asked slot stays open, the form asks it again
        assert messages == [{**messages[0], "response": "utter_plan_updated", "field": "每月投入",
                             "value": "5,000.00元"}]

    def test_numerals_inside_the_keyword_are_not_the_value(self) -> None:
        messages, slots = fill(ValidatePlanSimulationForm(), "不对，一开始投2万5", "plan_monthly_saving")
        assert slots == {"plan_initial": 25_000.0} and messages[0]["value"] == "25,000.00元"

    def test_age_correction_during_the_pension_plan(self) -> None:
        _, slots = fill(ValidatePlanPensionForm(), "不对，我今年40岁", "plan_monthly_income", slots={"plan_age": 35.0})
        assert slots == {"plan_age": 40}

    def test_sixty_as_retirement_age_is_not_taken_for_the_age(self) -> None:
        _, slots = fill(ValidatePlanPensionForm(), "60岁", "plan_retirement_age", slots={"plan_age": 35.0})
        assert slots == {"plan_retirement_age": 60}

    def test_return_changed_mid_form(self) -> None:
        messages, slots = fill(ValidatePlanPensionForm(), "收益改成5%", "plan_monthly_income")
        assert slots == {"plan_annual_return": 0.05}
        assert messages[0]["response"] == "utter_plan_updated" and messages[0]["value"] == "5.00%"

    def test_inflation_and_replacement_ratio(self) -> None:
        assert fill(ValidatePlanPensionForm(), "通胀按百分之三算", "plan_age")[1] == {"plan_inflation": 0.03}
        assert fill(ValidatePlanPensionForm(), "替代率改成80%", "plan_age")[1] == {"plan_replacement_ratio": 0.8}

    def test_assumption_stated_when_starting(self) -> None:
        messages, slots = fill(ValidatePlanPensionForm(), "帮我做个养老规划，收益按5%算", None, intent="plan_pension")
        assert slots == {"plan_annual_return": 0.05} and responses(messages) == ["utter_plan_updated"]

    def test_number_before_its_keyword_and_the_asked_amount_in_one_message(self) -> None:
        _, slots = fill(ValidatePlanInvestmentForm(), "10年后攒100万", "plan_goal_amount")
        assert slots == {"plan_years": 10, "plan_goal_amount": 1_000_000.0}
        _, slots = fill(ValidatePlanRetirementForm(), "不对，我今年65岁，手上有一百万", "plan_initial")
        assert slots == {"plan_age": 65, "plan_initial": 1_000_000.0}

    def test_a_correction_alone_leaves_the_asked_slot_open(self) -> None:
        assert fill(ValidatePlanRetirementForm(), "不对，我今年65岁", "plan_initial")[1] == {"plan_age": 65}
        assert fill(ValidatePlanInvestmentForm(), "不对，目标是80万", "plan_initial")[1] == {"plan_goal_amount": 800_000.0}

    def test_implausible_return_is_refused(self) -> None:
        messages, slots = fill(ValidatePlanInvestmentForm(), "收益改成50%", "plan_years")
        assert slots == {"plan_annual_return": None}
        assert responses(messages) == ["utter_plan_invalid_annual_return"]
        assert (messages[0]["low"], messages[0]["high"]) == ("-5%", "15%")

    def test_assumption_a_plan_does_not_use_is_not_taken(self) -> None:
        _, slots = fill(ValidatePlanInvestmentForm(), "通胀改成3%", "plan_years")
        assert "plan_inflation" not in slots


class TestOutOfRange:
    @pytest.mark.parametrize(("form", "text", "asked", "response"), [
        (ValidatePlanPensionForm(), "300岁", "plan_age", "utter_plan_invalid_age"),
        (ValidatePlanInvestmentForm(), "-5", "plan_goal_amount", "utter_plan_invalid_goal_amount"),
        (ValidatePlanInvestmentForm(), "0年", "plan_years", "utter_plan_invalid_years"),
        (ValidatePlanInvestmentForm(), "100年", "plan_years", "utter_plan_invalid_years"),
        (ValidatePlanInvestmentForm(), "-5", "plan_monthly_saving", "utter_plan_invalid_monthly_saving"),
        (ValidatePlanPensionForm(), "0", "plan_monthly_income", "utter_plan_invalid_monthly_income"),
        (ValidatePlanRetirementForm(), "负一万", "plan_monthly_spending", "utter_plan_invalid_monthly_spending"),
        (ValidatePlanSimulationForm(), "随便", "plan_risk_mix", "utter_plan_invalid_risk_mix"),
        (ValidatePlanInvestmentForm(), "我也说不好", "plan_goal_amount", "utter_plan_invalid_goal_amount"),
    ])
    def test_bad_value_is_emptied_with_a_re_ask(self, form: Any, text: str, asked: str, response: str) -> None:
        messages, slots = fill(form, text, asked)
        assert slots == {asked: None}
        assert responses(messages) == [response]

    def test_every_re_ask_says_what_is_expected(self) -> None:
        for key, variants in DOMAIN["responses"].items():
            if key.startswith("utter_plan_invalid_"):
                assert re.search(r"比如|选一个|之间", variants[0]["text"]), key

    @pytest.mark.parametrize(("form", "text", "asked", "words"), [
        (ValidatePlanPensionForm(), "300岁", "plan_age", {"low": "18", "high": "89"}),
        (ValidatePlanInvestmentForm(), "100年", "plan_years", {"low": "1", "high": "50"}),
        (ValidatePlanInvestmentForm(), "-5", "plan_goal_amount", {"low": "0", "high": "100亿"}),
        (ValidatePlanRetirementForm(), "-5", "plan_initial", {"low": "0", "high": "100亿"}),
    ])
    def test_the_re_ask_states_calcs_range(self, form: Any, text: str, asked: str, words: dict[str, str]) -> None:
        messages, _ = fill(form, text, asked)
        assert {key: messages[0][key] for key in ("low", "high")} == words
        template = DOMAIN["responses"][messages[0]["response"]][0]["text"]
        assert "{low}" in template and template.format(**words)

    def test_assumption_ranges_are_calcs(self) -> None:
        """Regression: the form accepted inflation up to 10% while calc allowed 20%; both read one range now."""
        messages, slots = fill(ValidatePlanPensionForm(), "通胀改成12%", "plan_age")
        assert slots == {"plan_inflation": None} and responses(messages) == ["utter_plan_invalid_inflation"]
        bounds = INPUT_RANGES["inflation"]
        assert (messages[0]["low"], messages[0]["high"]) == (f"{bounds.low:.0%}", f"{bounds.high:.0%}")
        assert fill(ValidatePlanPensionForm(), "通胀改成10%", "plan_age")[1] == {"plan_inflation": 0.1}

    def test_retirement_age_must_follow_the_current_age(self) -> None:
        messages, slots = fill(ValidatePlanPensionForm(), "45岁", "plan_retirement_age", slots={"plan_age": 50.0})
        assert slots == {"plan_retirement_age": None}
        assert responses(messages) == ["utter_plan_invalid_retirement_age"]


class TestDigressions:
    @pytest.mark.parametrize("intent", ["ask_knowledge", "cancel", "human_handoff", "out_of_scope"])
    def test_form_leaves_other_intents_to_the_rules(self, intent: str) -> None:
        messages, slots = fill(ValidatePlanInvestmentForm(), "个人养老金每年能存多少", "plan_goal_amount", intent=intent)
        assert (messages, slots) == ([], {})

    def test_another_feature_is_not_forced_into_the_slot(self) -> None:
        assert fill(ValidatePlanInvestmentForm(), "做个财富体检", "plan_years", intent="wealth_checkup") == ([], {})


class TestPrefill:
    def test_known_client_age_and_income_at_activation(self, bank_env: str, people: dict[str, Identity]) -> None:
        client = people["client"]
        messages, slots = fill(ValidatePlanPensionForm(), "养老规划", None, intent="plan_pension", role="client",
                               sender=client.wecom_id)
        assert set(slots) == {"plan_age", "plan_monthly_income"} and 18 <= slots["plan_age"] <= 89
        assert responses(messages) == ["utter_plan_prefilled"]
        assert f"年龄{slots['plan_age']}岁" in messages[0]["facts"]

    def test_visitor_is_asked_everything(self, bank_env: str) -> None:
        assert fill(ValidatePlanPensionForm(), "养老规划", None, intent="plan_pension") == ([], {})


INVESTMENT_SLOTS = {"plan_goal_amount": 1_000_000.0, "plan_years": 10.0, "plan_initial": 100_000.0,
                    "plan_monthly_saving": 5000.0}


def run_result(action: Any, slots: dict[str, Any], sender: str = VISITOR, role: str = "unknown"
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run_action(action, make_tracker(sender, "5000", "inform", slots={"role": role, **slots}), DOMAIN)


class TestResult:
    def test_visitor_gets_lines_chart_link_and_notice(self, bank_env: str) -> None:
        messages, events = run_result(ActionPlanInvestment(), INVESTMENT_SLOTS)
        summary, image, card, notice = messages
        plan = compute_plan("plan_investment", {"goal_amount": 1e6, "years": 10, "initial": 1e5, "monthly_saving": 5000})
        assert f"每月定投约{fmt_approx(plan.required_monthly_saving)}" in summary["text"]
        match = re.fullmatch(r"https://bank\.example/proposals/([\w-]+)/charts/projection\.png", image["image"])
        assert match, image
        token = match.group(1)
        assert card["custom"] == {"type": "card", "title": "投资规划建议书", "description": summary["text"].split("\n")[0],
                                  "url": f"https://bank.example/proposals/{token}", "button_text": "查看建议书"}
        assert "风险提示" in notice["text"]
        assert SlotSet("plan_goal_amount", None) in events and SlotSet("plan_age", None) not in events
        with session_scope(bank_env) as session:
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).one()
            assert proposal.kind == "plan_investment" and proposal.client_id is None
            assert proposal.payload["subject"] == "访客"
            usage = session.scalars(select(UsageEvent).where(UsageEvent.actor_id == VISITOR)
                                    .order_by(UsageEvent.id.desc())).first()
            assert usage is not None and usage.feature == "plan_investment" and usage.detail["proposal"] == token

    def test_client_proposal_is_theirs_and_masked(self, bank_env: str, people: dict[str, Identity]) -> None:
        client = people["client"]
        slots = {"plan_age": 60.0, "plan_initial": 1_500_000.0, "plan_monthly_spending": 8000.0}
        messages, _ = run_result(ActionPlanRetirement(), slots, sender=client.wecom_id, role="client")
        token = messages[2]["custom"]["url"].rsplit("/", 1)[1]
        with session_scope(bank_env) as session:
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).one()
            assert proposal.client_id == client.client_id and proposal.kind == "plan_retirement"
            assert proposal.payload["subject"] == client.name[0] + "*" * (len(client.name) - 1)
            assert client.name not in str(proposal.payload)

    @pytest.mark.parametrize(("action", "slots", "chart"), [
        (ActionPlanPension(), {"plan_age": 35.0, "plan_retirement_age": 60.0, "plan_monthly_income": 20_000.0,
                               "plan_basic_pension": 0.0, "plan_initial": 0.0, "plan_annual_return": 0.05},
         "accumulation"),
        (ActionPlanSimulation(), {"plan_initial": 0.0, "plan_monthly_saving": 2000.0, "plan_years": 5.0,
                                  "plan_risk_mix": "稳健", "plan_goal_amount": 0.0}, "projection"),
    ])
    def test_each_plan_answers_with_its_chart(self, bank_env: str, action: Any, slots: dict[str, Any],
                                              chart: str) -> None:
        messages, _ = run_result(action, slots)
        assert messages[1]["image"].endswith(f"/charts/{chart}.png")
        assert messages[2]["custom"]["type"] == "card"

    def test_pension_uses_the_changed_return(self, bank_env: str) -> None:
        slots = {"plan_age": 35.0, "plan_retirement_age": 60.0, "plan_monthly_income": 20_000.0,
                 "plan_basic_pension": 0.0, "plan_initial": 0.0, "plan_annual_return": 0.05}
        messages, _ = run_result(ActionPlanPension(), slots)
        plan = compute_plan("plan_pension", {"age": 35, "retirement_age": 60, "monthly_income": 20_000,
                                             "annual_return": 0.05})
        assert f"每月再存约{fmt_approx(plan.monthly_saving)}" in messages[0]["text"]

    def test_calc_refusal_is_explained(self, bank_env: str) -> None:
        slots = {"plan_age": 60.0, "plan_retirement_age": 95.0, "plan_monthly_income": 20_000.0,
                 "plan_basic_pension": 0.0, "plan_initial": 0.0}
        messages, events = run_result(ActionPlanPension(), slots)
        assert responses(messages) == ["utter_plan_failed"] and messages[0]["title"] == "养老规划"
        assert SlotSet("plan_retirement_age", None) in events

    def test_database_outage_still_answers_without_a_link(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-dir/never/bank.db")
        messages, _ = run_result(ActionPlanInvestment(), INVESTMENT_SLOTS)
        assert "每月定投" in messages[0]["text"]
        assert responses(messages)[1] == "utter_plan_not_saved" and "风险提示" in messages[-1]["text"]


class TestRecalculate:
    """After a result, "收益改成6%" re-runs the same plan with that one change."""

    def last_plan(self, bank_env: str) -> dict[str, Any]:
        _, events = run_result(ActionPlanInvestment(), INVESTMENT_SLOTS)
        last = [e["value"] for e in events if e["event"] == "slot" and e["name"] == "plan_last"]
        assert len(last) == 1 and last[0]["kind"] == "plan_investment"
        return last[0]

    def recalc(self, text: str, last: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return run_action(ActionPlanRecalculate(),
                          make_tracker(VISITOR, text, "inform", slots={"role": "unknown", "plan_last": last}), DOMAIN)

    def test_a_changed_return_gives_a_new_result_and_proposal(self, bank_env: str) -> None:
        last = self.last_plan(bank_env)
        messages, events = self.recalc("收益改成6%再算一次", last)
        assert (messages[0]["response"], messages[0]["field"], messages[0]["value"]) == (
            "utter_plan_updated", "预期年化收益", "6.00%")
        old = compute_plan("plan_investment", {"goal_amount": 1e6, "years": 10, "initial": 1e5, "monthly_saving": 5000})
        new = compute_plan("plan_investment", {"goal_amount": 1e6, "years": 10, "initial": 1e5, "monthly_saving": 5000,
                                               "annual_return": 0.06})
        assert new.required_monthly_saving < old.required_monthly_saving
        assert fmt_approx(new.required_monthly_saving) != fmt_approx(old.required_monthly_saving)
        assert f"每月定投约{fmt_approx(new.required_monthly_saving)}" in messages[1]["text"]
        token = messages[3]["custom"]["url"].rsplit("/", 1)[1]
        with session_scope(bank_env) as session:
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).one()
            assert ["预期年化收益", "6.00%（您设定）"] in proposal.payload["assumptions"]
        remembered = next(e["value"] for e in events if e["event"] == "slot" and e["name"] == "plan_last")
        assert remembered["inputs"]["annual_return"] == 0.06 and remembered["inputs"]["goal_amount"] == 1e6

    def test_a_named_input_can_change_too(self, bank_env: str) -> None:
        messages, _ = self.recalc("目标改成50万", self.last_plan(bank_env))
        assert messages[0]["value"] == "500,000.00元" and "攒到50万元" in messages[1]["text"]

    def test_an_out_of_range_change_is_refused_with_what_fits(self, bank_env: str) -> None:
        messages, events = self.recalc("收益改成50%", self.last_plan(bank_env))
        assert responses(messages) == ["utter_plan_invalid_annual_return"] and events == []

    def test_a_message_that_changes_nothing_gets_a_hint(self, bank_env: str) -> None:
        messages, events = self.recalc("嗯嗯", self.last_plan(bank_env))
        assert responses(messages) == ["utter_plan_recalc_hint"] and events == []

    def test_no_plan_yet(self, bank_env: str) -> None:
        messages, _ = self.recalc("收益改成6%", None)
        assert responses(messages) == ["utter_plan_recalc_nothing"]

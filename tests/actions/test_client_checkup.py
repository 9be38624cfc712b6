"""Check-up, risk and wealth actions (actions/client/) in the rasa-demo style: a Tracker and a
CollectingDispatcher, assertions on events and replies; the actions read a private copy of the demo bank."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, select

from actions.client.checkup import (
    ActionAskCheckupConfirmed,
    ActionCheckupResult,
    ActionCheckupStart,
    ValidateCheckupForm,
    read_slot,
)
from actions.client.risk import SLOTS, ActionRiskResult, ActionRiskStart, ValidateRiskForm, option_index
from actions.client.wealth import ActionMyRewards, ActionWealthScore, ActionWealthStatement
from bank.db import session_scope
from bank.directory import Identity, demo_identities
from bank.models import Client, Holding, Product, Proposal, Transaction, UsageEvent
from bank.models import Identity as IdentityRow
from calc.checkup import INPUT_RANGES
from calc.clock import today
from calc.risk import QUESTIONNAIRE, RISK_VALID_DAYS, is_suitable, score_answers
from lexicon.checkup import ASSET_WORDS, INVALID, parse_by_kind
from services.risk import validity_words
from tests.actions.kit import make_tracker, run_action
from tests.bank_files import copy_bank

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
LETTERS = "ABCDE"


def validate(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run_action(action, tracker, DOMAIN)


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict[str, Any]]) -> list[str | None]:
    return [m.get("response") for m in messages]


@pytest.fixture(scope="module")
def bank_copy(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo bank (SQLite backup API, so pending WAL pages come along): these tests write
    assessments and proposals."""
    return copy_bank(demo_db_url, tmp_path_factory.mktemp("checkup-bank") / "bank.db")


@pytest.fixture
def bank_env(bank_copy: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL pointing the actions at the private bank."""
    monkeypatch.setenv("DATABASE_URL", bank_copy)
    return bank_copy


@pytest.fixture
def people(bank_env: str) -> dict[str, Identity]:
    with session_scope(bank_env) as session:
        found = demo_identities(session)
    return {role: next(p for p in found if p.role == role) for role in ("advisor", "manager", "client")}


GUEST_SLOTS = {"checkup_age": 35.0, "checkup_income": 20000.0, "checkup_expenses": 8000.0,
               "checkup_dependants": 1.0, "checkup_assets": {"deposit": 5000.0, "mixed_fund": 200000.0},
               "checkup_insurance": {}, "checkup_confirmed": True}


class TestReadingAnswers:
    @pytest.mark.parametrize(("slot", "text", "asked", "value"), [
        ("checkup_age", "我今年35岁", "checkup_age", 35.0),
        ("checkup_income", "两万五", "checkup_income", 25000.0),
        ("checkup_income", "-5", "checkup_income", -5.0),
        ("checkup_expenses", "每月开销8000左右", "checkup_expenses", 8000.0),
        ("checkup_dependants", "两个孩子", "checkup_dependants", 2.0),
        ("checkup_dependants", "没有", "checkup_dependants", 0.0),
        ("checkup_assets", "没有", "checkup_assets", {}),
        ("checkup_insurance", "有百万医疗", "checkup_insurance", {"medical": 1000000.0}),
        ("checkup_income", "不对，收入是3万", "checkup_dependants", 30000.0),
        ("checkup_expenses", "开销改成1万", "checkup_confirmed", 10000.0),
    ])
    def test_values(self, slot: str, text: str, asked: str, value: Any) -> None:
        assert read_slot(slot, text, "inform", asked) == value

    @pytest.mark.parametrize(("slot", "text", "intent", "asked"), [
        ("checkup_dependants", "不对，收入是3万", "inform", "checkup_dependants"),  # another field's correction
        ("checkup_age", "年金险是什么？", "ask_knowledge", "checkup_age"),
        ("checkup_age", "35", "cancel", "checkup_age"),
        ("checkup_income", "3万", "inform", "checkup_age"),  # not asked, not named
    ])
    def test_nothing_for_this_slot(self, slot: str, text: str, intent: str, asked: str) -> None:
        assert read_slot(slot, text, intent, asked) is None

    def test_unreadable_answer_is_marked_for_a_re_ask(self) -> None:
        assert read_slot("checkup_assets", "大概十万吧", "inform", "checkup_assets") == INVALID

    def test_answer_classified_as_a_question_intent_still_counts_when_it_is_no_question(self) -> None:
        assert read_slot("checkup_insurance", "有重疾险30万和医疗险", "ask_knowledge", "checkup_insurance") == {
            "critical_illness": 300000.0, "medical": 1000000.0}

    @pytest.mark.parametrize(("text", "expected"), [
        ("股票3万、QDII基金2万", {"equity_fund": 30000, "qdii_fund": 20000}),
        ("存款10万理财20万", {"deposit": 100000, "wmp": 200000}),
        ("余额宝两万，黄金5千", {"cash_management": 20000, "gold": 5000}),
    ])
    def test_assets_by_kind(self, text: str, expected: dict[str, int]) -> None:
        found = parse_by_kind(text, ASSET_WORDS)
        assert found is not None and {k: int(v) for k, v in found.items()} == expected

    @pytest.mark.parametrize(("index", "text", "letter", "chosen"), [
        (0, "", "d", 3), (0, "E", None, 4), (0, "选a", None, 0), (0, "第三个", None, 2), (0, "3", None, 2),
        (0, "30-49岁", None, 4), (7, "15%-30%", None, 3), (8, "趁低加仓", None, 4), (0, "F", None, None),
        (0, "第六个", None, None), (0, "不知道", None, None),
    ])
    def test_risk_options(self, index: int, text: str, letter: str | None, chosen: int | None) -> None:
        assert option_index(QUESTIONNAIRE[index], text, letter) == chosen


class TestValidateCheckupForm:
    def test_age_out_of_range_is_asked_again(self) -> None:
        tracker = make_tracker("x", "我300岁", "inform", slots={"requested_slot": "checkup_age"},
                               active_loop="checkup_form")
        messages, events = validate(ValidateCheckupForm(), tracker)
        assert slots_of(events) == {"checkup_age": None}
        assert responses(messages) == ["utter_checkup_invalid_age"]

    def test_negative_income_is_asked_again(self) -> None:
        tracker = make_tracker("x", "-5", "inform", slots={"requested_slot": "checkup_income", "checkup_age": 35.0},
                               active_loop="checkup_form")
        messages, events = validate(ValidateCheckupForm(), tracker)
        assert slots_of(events)["checkup_income"] is None and responses(messages) == ["utter_checkup_invalid_income"]

    def test_correction_of_an_earlier_answer_is_confirmed(self) -> None:
        tracker = make_tracker("x", "不对，收入是3万", "inform",
                               slots={"requested_slot": "checkup_expenses", "checkup_age": 35.0,
                                      "checkup_income": 20000.0}, active_loop="checkup_form")
        messages, events = validate(ValidateCheckupForm(), tracker)
        assert slots_of(events) == {"checkup_income": 30000.0}
        assert messages[0]["response"] == "utter_checkup_updated"
        assert (messages[0]["field"], messages[0]["value"]) == ("月收入", "30,000.00元")

    def test_a_question_rejects_the_form_so_the_rule_answers_it(self) -> None:
        tracker = make_tracker("x", "重疾险和医疗险有什么区别？", "ask_knowledge",
                               slots={"requested_slot": "checkup_insurance"}, active_loop="checkup_form")
        assert validate(ValidateCheckupForm(), tracker) == ([], [])

    @pytest.mark.parametrize(("text", "value", "reply"), [
        ("对", True, None), ("不对", None, "utter_checkup_stale_unconfirmed"),
        ("明天吧", None, "utter_checkup_stale_unconfirmed")])
    def test_confirmation(self, text: str, value: bool | None, reply: str | None) -> None:
        tracker = make_tracker("x", text, "inform", slots={"requested_slot": "checkup_confirmed"},
                               active_loop="checkup_form")
        messages, events = validate(ValidateCheckupForm(), tracker)
        assert slots_of(events) == {"checkup_confirmed": value}
        assert responses(messages) == ([reply] if reply else [])

    def test_a_change_while_confirming_counts_as_confirmed(self) -> None:
        tracker = make_tracker("x", "开销改成1万", "inform", slots={"requested_slot": "checkup_confirmed",
                                                                "checkup_expenses": 8000.0}, active_loop="checkup_form")
        _, events = validate(ValidateCheckupForm(), tracker)
        assert slots_of(events) == {"checkup_expenses": 10000.0, "checkup_confirmed": True}


class TestCheckupStart:
    def test_visitor_is_asked_everything(self, bank_env: str) -> None:
        messages, events = run_action(ActionCheckupStart(), make_tracker("someone-new", "财富体检", "wealth_checkup"))
        assert responses(messages) == ["utter_checkup_intro_guest"]
        assert slots_of(events)["checkup_confirmed"] is True and slots_of(events)["checkup_age"] is None

    def test_staff_are_told_how_to_do_it_for_a_client_then_fill_it_for_a_walk_in(
            self, people: dict[str, Identity], bank_env: str) -> None:
        tracker = make_tracker(people["advisor"].wecom_id, "财富体检", "wealth_checkup")
        messages, events = run_action(ActionCheckupStart(), tracker)
        assert responses(messages) == ["utter_checkup_staff_hint", "utter_checkup_intro_guest"]
        assert slots_of(events)["checkup_age"] is None

    def test_known_client_is_prefilled_from_the_bank(self, people: dict[str, Identity], bank_env: str) -> None:
        client = people["client"]
        messages, events = run_action(ActionCheckupStart(), make_tracker(client.wecom_id, "财富体检", "wealth_checkup"))
        assert messages[0]["response"] == "utter_checkup_intro_client" and messages[0]["name"] == client.name
        slots = slots_of(events)
        with session_scope(bank_env) as session:
            row = session.get(Client, client.client_id)
            assert row is not None
            assert slots["checkup_income"] == float(row.monthly_income)
            assert slots["checkup_dependants"] == float(row.dependants)
        assert all(slots[s] is not None for s in ("checkup_age", "checkup_expenses", "checkup_assets",
                                                  "checkup_insurance"))

    def test_confirmation_question_shows_the_record(self) -> None:
        tracker = make_tracker("x", slots={"checkup_income": 32000.0, "checkup_expenses": 9000.0,
                                           "checkup_dependants": 2.0})
        messages, _ = run_action(ActionAskCheckupConfirmed(), tracker)
        assert messages[0]["response"] == "utter_checkup_confirm_record"
        assert (messages[0]["income"], messages[0]["expenses"], messages[0]["dependants"]) == (
            "32,000.00元", "9,000.00元", 2)


class TestCheckupResult:
    def test_visitor_gets_lines_chart_offer_and_card_but_no_products(self, bank_env: str) -> None:
        tracker = make_tracker("visitor-unit", "没有", "inform", slots=GUEST_SLOTS)
        messages, events = run_action(ActionCheckupResult(), tracker)
        assert messages[0]["text"].startswith("体检得分")
        assert messages[1]["image"].endswith("/charts/allocation.png")
        assert messages[2]["response"] == "utter_checkup_offer_risk" and "还没有做过风险测评" in messages[2]["note"]
        card = messages[3]["custom"]
        assert card["type"] == "card" and card["url"] in messages[1]["image"]
        assert slots_of(events)["checkup_awaiting_risk"] is True and slots_of(events)["checkup_categories"]
        with session_scope(bank_env) as session:
            token = card["url"].rsplit("/", 1)[-1]
            proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).one()
            assert proposal.payload["products"] == []
            assert session.scalars(select(UsageEvent.feature).where(UsageEvent.actor_id == "visitor-unit")).all() == [
                "checkup"]

    def test_visitor_who_took_the_assessment_in_chat_gets_products_up_to_that_level(self, bank_env: str) -> None:
        tracker = make_tracker("visitor-unit-2", "没有", "inform", slots={**GUEST_SLOTS, "risk_level_result": "C2"})
        messages, _ = run_action(ActionCheckupResult(), tracker)
        listed = messages[2]["text"]
        assert listed.startswith("符合您风险等级（C2）") and "正式购买前" in listed
        with session_scope(bank_env) as session:
            named = [p for p in session.scalars(select(Product)).all() if f"· {p.name}（" in listed]
        assert named and all(is_suitable("C2", p.risk_level) for p in named)

    def test_impossible_input_is_explained(self, bank_env: str) -> None:
        tracker = make_tracker("visitor-unit-3", "x", "inform", slots={**GUEST_SLOTS, "checkup_age": 12.0})
        messages, _ = run_action(ActionCheckupResult(), tracker)
        assert messages == [{**messages[0], "response": "utter_checkup_failed", "reason": "年龄应在18到100岁之间"}]

    def test_recommendations_are_said_the_way_a_planner_says_them(self, bank_env: str) -> None:
        tracker = make_tracker("visitor-unit-4", "没有", "inform", slots=GUEST_SLOTS)
        messages, _ = run_action(ActionCheckupResult(), tracker)
        summary = messages[0]["text"]
        assert "随时要用的钱：现有5,000.00元，建议2.4万–4.8万元，还差1.9万元" in summary  # balance to the fen
        assert "家庭保障的钱（寿险保额）：现有0.00元，建议240万–360万元" in summary


class TestRiskActions:
    def test_start_clears_earlier_answers(self) -> None:
        messages, events = run_action(ActionRiskStart(), make_tracker("x", "风险测评", "risk_assessment"))
        assert responses(messages) == ["utter_risk_intro"]
        assert slots_of(events) == dict.fromkeys(SLOTS)

    def test_start_tells_a_known_client_their_current_level(self, people: dict[str, Identity], bank_env: str) -> None:
        client = people["client"]
        with session_scope(bank_env) as session:
            row = session.get(Client, client.client_id)
            assert row is not None
            row.risk_level, row.risk_assessed_on = "C4", dt.date(2026, 3, 1)
        messages, _ = run_action(ActionRiskStart(), make_tracker(client.wecom_id, "风险测评", "risk_assessment"))
        assert responses(messages) == ["utter_risk_current", "utter_risk_intro"]
        assert (messages[0]["level"], messages[0]["name"], messages[0]["state"]) == ("C4", "积极型", "有效期至2027-03-01")

    def test_button_answer_fills_the_asked_question(self) -> None:
        tracker = make_tracker("x", '/inform{"risk_answer": "C"}', "inform",
                               slots={"requested_slot": "risk_q_goal"}, active_loop="risk_form",
                               entities=[{"entity": "risk_answer", "value": "C"}])
        messages, events = validate(ValidateRiskForm(), tracker)
        assert messages == [] and slots_of(events) == {"risk_q_goal": 2}

    def test_unreadable_answer_is_asked_again(self) -> None:
        tracker = make_tracker("x", "看情况", "inform", slots={"requested_slot": "risk_q_goal"}, active_loop="risk_form")
        messages, events = validate(ValidateRiskForm(), tracker)
        assert responses(messages) == ["utter_risk_invalid_answer"] and slots_of(events) == {"risk_q_goal": None}

    def test_result_is_stored_for_a_known_client(self, people: dict[str, Identity], bank_env: str) -> None:
        client = people["client"]
        answers = {f"risk_q_{q.id}": 3 for q in QUESTIONNAIRE}
        tracker = make_tracker(client.wecom_id, "D", "inform", slots={**answers, "role": "client"})
        messages, events = run_action(ActionRiskResult(), tracker)
        expected = score_answers({q.id: 3 for q in QUESTIONNAIRE})
        assert messages[0]["explanation"] == expected.explanation_zh
        assert messages[1]["response"] == "utter_risk_stored" and messages[1]["date"] == str(today())
        assert messages[1]["validity"] == validity_words(RISK_VALID_DAYS) == "一年"
        assert slots_of(events)["risk_level_result"] == expected.level
        with session_scope(bank_env) as session:
            row = session.get(Client, client.client_id)
            assert row is not None and (row.risk_level, row.risk_assessed_on) == (expected.level, today())

    def test_after_a_check_up_it_lists_products_within_the_new_level(self, bank_env: str) -> None:
        answers = {f"risk_q_{q.id}": 1 for q in QUESTIONNAIRE}
        tracker = make_tracker("visitor-risk", "B", "inform", slots={
            **answers, "checkup_awaiting_risk": True,
            "checkup_categories": ["equity_fund", "bond_fund", "cash_management"]})
        messages, _ = run_action(ActionRiskResult(), tracker)
        level = score_answers({q.id: 1 for q in QUESTIONNAIRE}).level
        assert responses(messages)[:2] == ["utter_risk_result", "utter_risk_guest"]
        listed = messages[2]["text"]
        with session_scope(bank_env) as session:
            named = [p for p in session.scalars(select(Product)).all() if f"· {p.name}（" in listed]
        assert named and all(is_suitable(level, p.risk_level) for p in named)
        assert not any(p.category == "equity_fund" for p in named)  # R4 funds are above C2

    def test_incomplete_answers_do_not_crash(self) -> None:
        messages, _ = run_action(ActionRiskResult(), make_tracker("x", "A", "inform"))
        assert responses(messages) == ["utter_risk_failed"]


class TestWealthActions:
    @pytest.mark.parametrize(("action", "start"), [(ActionWealthStatement(), "今年以来（"),
                                                   (ActionWealthScore(), "您的财富健康分是"),
                                                   (ActionMyRewards(), "您目前是")])
    def test_known_client(self, people: dict[str, Identity], bank_env: str, action: Any, start: str) -> None:
        client = people["client"]
        messages, _ = run_action(action, make_tracker(client.wecom_id, "看看", "wealth_statement"))
        assert messages[0]["text"].startswith(start)
        with session_scope(bank_env) as session:
            used = session.scalars(select(UsageEvent.feature).where(UsageEvent.actor_id == client.wecom_id)).all()
        assert action.feature in used

    def test_statement_period_from_the_message(self, people: dict[str, Identity], bank_env: str) -> None:
        messages, _ = run_action(ActionWealthStatement(), make_tracker(people["client"].wecom_id, "近一年赚了多少"))
        assert messages[0]["text"].startswith("近一年（")

    @pytest.mark.parametrize("role", ["advisor", "manager"])
    def test_staff_are_pointed_at_client_profiles(self, people: dict[str, Identity], role: str) -> None:
        messages, _ = run_action(ActionWealthScore(), make_tracker(people[role].wecom_id, "健康分"))
        assert responses(messages) == ["utter_wealth_staff_only_clients"] and messages[0]["feature"] == "财富健康分"

    def test_strangers_get_a_polite_note(self, bank_env: str) -> None:
        messages, _ = run_action(ActionMyRewards(), make_tracker("nobody-known", "我的权益"))
        assert responses(messages) == ["utter_wealth_clients_only"] and messages[0]["feature"] == "成长权益"


class TestDomain:
    def test_risk_questions_mirror_calc(self) -> None:
        for n, question in enumerate(QUESTIONNAIRE, start=1):
            variant = DOMAIN["responses"][f"utter_ask_risk_q_{question.id}"][0]
            assert variant["text"].startswith(f"第{n}/{len(QUESTIONNAIRE)}题：{question.text}")
            assert [b["title"] for b in variant["buttons"]] == [
                f"{LETTERS[i]}. {o.label}" for i, o in enumerate(question.options)]
            assert [b["payload"] for b in variant["buttons"]] == [
                '/inform{"risk_answer": "' + LETTERS[i] + '"}' for i in range(len(question.options))]
        assert DOMAIN["forms"]["risk_form"]["required_slots"] == list(SLOTS)

    def test_enough_varied_training_examples(self) -> None:
        nlu = yaml.safe_load((ROOT / "bot" / "data" / "nlu" / "client_checkup.yml").read_text(encoding="utf-8"))
        counts = {item["intent"]: len([x for x in item["examples"].splitlines() if x.strip()]) for item in nlu["nlu"]}
        for intent in ("wealth_checkup", "risk_assessment", "wealth_statement", "wealth_score", "my_rewards"):
            assert counts[intent] >= 30, intent

    def test_every_response_an_action_uses_exists(self) -> None:
        source = "".join((ROOT / "actions" / "client" / f).read_text(encoding="utf-8")
                         for f in ("checkup.py", "risk.py", "wealth.py"))
        used = set(re.findall(r'response="(utter_[a-z_]+)"', source))
        used |= {f"utter_checkup_invalid_{s}" for s in ("age", "income", "expenses", "dependants", "assets",
                                                         "insurance")}
        shared = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
        assert used - set(DOMAIN["responses"]) - set(shared) == set()

    @pytest.mark.parametrize(("slot", "field", "unit"), [("age", "age", "岁"), ("dependants", "dependants", "")])
    def test_re_asks_state_calcs_ranges(self, slot: str, field: str, unit: str) -> None:
        low, high = INPUT_RANGES[field]
        assert f"{low:g}到{high:g}{unit}之间" in DOMAIN["responses"][f"utter_checkup_invalid_{slot}"][0]["text"]

    def test_stored_assessment_states_its_validity_from_calc(self) -> None:
        assert "{validity}" in DOMAIN["responses"]["utter_risk_stored"][0]["text"]
        assert "一年" not in DOMAIN["responses"]["utter_risk_stored"][0]["text"]



def test_correcting_one_kind_of_asset_keeps_the_others() -> None:
    tracker = make_tracker("x", "不对，存款是20万", "inform", slots={
        "requested_slot": "checkup_confirmed", "checkup_assets": {"deposit": 50000.0, "mixed_fund": 80000.0}},
        active_loop="checkup_form")
    messages, events = validate(ValidateCheckupForm(), tracker)
    assert slots_of(events) == {"checkup_assets": {"deposit": 200000.0, "mixed_fund": 80000.0},
                                "checkup_confirmed": True}
    assert messages[0]["value"] == "存款200,000.00元，混合基金80,000.00元"


def test_client_without_investments_is_told_there_is_no_statement(
        demo_template_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = copy_bank(demo_template_url, tmp_path / "bank.db")  # a private bank: this test removes a client's records
    with session_scope(url) as session:
        client_id, wecom_id = session.execute(select(IdentityRow.client_id, IdentityRow.wecom_id).where(
            IdentityRow.client_id.is_not(None)).order_by(IdentityRow.id).limit(1)).one()
        session.execute(delete(Transaction).where(Transaction.client_id == client_id))
        session.execute(delete(Holding).where(Holding.client_id == client_id))
    monkeypatch.setenv("DATABASE_URL", url)
    messages, _ = run_action(ActionWealthStatement(), make_tracker(wecom_id, "我的账单"))
    assert responses(messages) == ["utter_statement_empty"]

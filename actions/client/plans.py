"""The four plans in chat: forms that read numbers from the raw text, then one calc run, a chart and a link.

Each form's validation action fills its slots from the latest message (lexicon.numbers), accepts corrections
that name a field ("不对，每月能存5000") and assumption changes ("收益改成5%"), and re-asks politely with the
expected range when a value is out of range. Questions, cancel and hand-off are left to the rules.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import NOT_FORM_INPUT, latest_intent, latest_text, named_field, requested_slot
from actions.identity import DirectoryUnavailable, identify
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.masking import mask_name
from bank.proposals import chart_path, create_proposal, proposal_path, public_url
from calc.errors import CalcInputError
from calc.money import fmt_pct, fmt_yuan
from lexicon.numbers import parse_age, parse_amount, parse_percent, parse_years
from services.plan_reports import MIXES, TITLES, client_inputs, compute_plan, plan_payload

log = logging.getLogger(__name__)

# Intents whose text may be an answer even when no number can be read from it (then we re-ask).
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "nlu_fallback", "thank"})
ZERO_WORDS = ("没有", "没", "无", "零", "不知道", "不清楚", "不确定", "暂时不")
MIX_WORDS = {"保守": "保守", "稳健": "稳健", "平衡": "平衡", "均衡": "平衡", "进取": "进取", "激进": "进取", "积极": "进取"}


@dataclass(frozen=True)
class SlotSpec:
    """How to read one slot from text and which values are acceptable."""

    label: str
    parse: str  # amount | age | years | percent | mix
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    zero_words: bool = False
    invalid: str = ""
    keywords: tuple[str, ...] = ()


SPECS: dict[str, SlotSpec] = {
    "plan_goal_amount": SlotSpec("目标金额", "amount", 0, 1e10, True, False, "utter_plan_invalid_goal_amount",
                                 ("目标", "攒到", "攒够", "存到", "达到")),
    "plan_years": SlotSpec("期限", "years", 1, 50, False, False, "utter_plan_invalid_years",
                           ("期限", "年限", "几年", "年后", "模拟")),
    "plan_initial": SlotSpec("现有资金", "amount", 0, 1e10, False, True, "utter_plan_invalid_initial",
                             ("现有", "已有", "手头", "本金", "存款", "积蓄", "准备了", "一次性", "现在有", "一开始")),
    "plan_monthly_saving": SlotSpec("每月投入", "amount", 0, 1e8, False, True, "utter_plan_invalid_monthly_saving",
                                    ("每月能存", "每月存", "每个月存", "每月可以存", "月存", "定投", "每月投")),
    "plan_age": SlotSpec("年龄", "age", 18, 89, False, False, "utter_plan_invalid_age", ("年龄", "今年", "我现在")),
    "plan_basic_pension": SlotSpec("基本养老金", "amount", 0, 1e6, False, True, "utter_plan_invalid_basic_pension",
                                   ("基本养老金", "社保", "退休金", "养老金每月")),
    "plan_retirement_age": SlotSpec("退休年龄", "age", 40, 80, False, False, "utter_plan_invalid_retirement_age",
                                    ("退休",)),
    "plan_monthly_income": SlotSpec("月收入", "amount", 0, 1e8, True, False, "utter_plan_invalid_monthly_income",
                                    ("收入", "工资", "月薪", "挣")),
    "plan_monthly_spending": SlotSpec("每月支取", "amount", 0, 1e7, True, False, "utter_plan_invalid_monthly_spending",
                                      ("每月取", "每月花", "支取", "开销", "花销", "生活费")),
    "plan_risk_mix": SlotSpec("配置风格", "mix", invalid="utter_plan_invalid_risk_mix", keywords=tuple(MIX_WORDS)),
}
ASSUMPTIONS: dict[str, SlotSpec] = {
    "plan_annual_return": SlotSpec("预期年化收益", "percent", -0.05, 0.15, False, False,
                                   "utter_plan_invalid_annual_return", ("收益", "回报")),
    "plan_inflation": SlotSpec("通胀假设", "percent", -0.02, 0.10, False, False, "utter_plan_invalid_inflation",
                               ("通胀", "通货膨胀", "物价")),
    "plan_replacement_ratio": SlotSpec("收入替代率", "percent", 0.3, 1.2, False, False,
                                       "utter_plan_invalid_replacement_ratio", ("替代率",)),
}


def says_none(text: str) -> bool:
    """Whether a reply means "nothing" (没有 / 不知道 / 0).

    >>> says_none("没有"), says_none("不知道"), says_none("0"), says_none("5万")
    (True, True, True, False)
    """
    return text.strip() in ("0", "0元") or any(word in text for word in ZERO_WORDS)


def parse_mix(text: str) -> str | None:
    """A mix name (保守/稳健/平衡/进取) named in the text.

    >>> parse_mix("选稳健的吧"), parse_mix("激进一点"), parse_mix("随便") is None
    ('稳健', '进取', True)
    """
    for word, mix in MIX_WORDS.items():
        if word in text:
            return mix
    return None


PARSERS: dict[str, Callable[[str], Any]] = {
    "amount": lambda text: None if (value := parse_amount(text)) is None else float(value),
    "age": parse_age,
    "years": parse_years,
    "percent": parse_percent,
    "mix": parse_mix,
}


def read_value(spec: SlotSpec, text: str) -> Any:
    """The value of a slot in the text, 0 for "没有" when the slot allows it, else None.

    >>> read_value(SPECS["plan_initial"], "没有"), read_value(SPECS["plan_goal_amount"], "一百二十万")
    (0.0, 1200000.0)
    >>> read_value(SPECS["plan_years"], "大概十年吧"), read_value(SPECS["plan_age"], "不告诉你") is None
    (10, True)
    """
    value = PARSERS[spec.parse](text)
    if value is None and spec.zero_words and says_none(text):
        return 0.0
    return value


def read_named(spec: SlotSpec, text: str) -> Any:
    """The value of a field the message names ("不对，一开始投2万5"): read without the field's own words first
    (so numerals inside a keyword are not the value), then from the whole text."""
    value = read_value(spec, without_keywords(text, spec.keywords))
    return read_value(spec, text) if value is None else value


def without_keywords(text: str, keywords: tuple[str, ...]) -> str:
    """The text with a field's keywords blanked out, so numerals inside them (一开始) are not read as values.

    >>> without_keywords("不对，一开始投2万5", ("一开始",)), without_keywords("10年后攒100万", ("年后",))
    ('不对，，投2万5', '10，攒100万')
    """
    for word in sorted(keywords, key=len, reverse=True):
        text = text.replace(word, "，")
    return text


def in_range(spec: SlotSpec, value: Any) -> bool:
    """Whether a parsed value is acceptable for the slot.

    >>> in_range(SPECS["plan_age"], 300), in_range(SPECS["plan_goal_amount"], 0), in_range(SPECS["plan_initial"], 0)
    (False, False, True)
    """
    if spec.parse == "mix":
        return value in MIXES
    if not isinstance(value, int | float):
        return False
    if spec.low is not None and (value < spec.low or (spec.low_open and value == spec.low)):
        return False
    return spec.high is None or value <= spec.high


def display(spec: SlotSpec, value: Any) -> str:
    """A value as the user reads it back.

    >>> display(SPECS["plan_monthly_saving"], 5000.0), display(SPECS["plan_age"], 40), display(ASSUMPTIONS["plan_inflation"], 0.03)
    ('5,000.00元', '40岁', '3.00%')
    """
    if spec.parse == "amount":
        return fmt_yuan(float(value))
    if spec.parse == "percent":
        return fmt_pct(float(value))
    if spec.parse == "age":
        return f"{int(value)}岁"
    if spec.parse == "years":
        return f"{int(value)}年"
    return str(value)


class PlanFormValidation(FormValidationAction):
    """Shared extraction and validation for the plan forms (subclasses name the form and its differences)."""

    own_intent = ""
    assumption_slots: tuple[str, ...] = ()
    overrides: ClassVar[Mapping[str, SlotSpec]] = {}

    @property
    @abstractmethod
    def form(self) -> str:
        """The form's name in the domain (a class attribute in each subclass)."""

    def name(self) -> str:
        return f"validate_{self.form}"

    def spec(self, slot: str) -> SlotSpec | None:
        return self.overrides.get(slot) or SPECS.get(slot) or ASSUMPTIONS.get(slot)

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Slots read from the latest message: an assumption change, a named correction or the requested slot."""
        intent = latest_intent(tracker)
        if intent in NOT_FORM_INPUT:
            return []
        text = latest_text(tracker)
        asked = requested_slot(tracker)
        changed = self.assumption_changes(text)
        for slot, value in changed.items():
            if in_range(ASSUMPTIONS[slot], value):
                dispatcher.utter_message(response="utter_plan_updated", field=ASSUMPTIONS[slot].label,
                                         value=display(ASSUMPTIONS[slot], value))
        assumption_events: list[EventType] = [SlotSet(slot, value) for slot, value in changed.items()]
        if asked is None:  # activation: what bank/ knows, and any assumption the request states
            return self._prefill(dispatcher, tracker, domain) + assumption_events
        if changed:
            return assumption_events
        keywords = {slot: spec.keywords for slot in self.domain_slots(domain) if (spec := self.spec(slot))}
        named = named_field(text, keywords)
        target = named or asked
        spec = self.spec(target)
        if spec is None:
            return []
        value = read_named(spec, text) if named else read_value(spec, text)
        if value is not None:
            events: list[EventType] = [SlotSet(target, value)]
            if target != asked and in_range(spec, value):
                dispatcher.utter_message(response="utter_plan_updated", field=spec.label, value=display(spec, value))
                events += self._asked_amount_too(text, spec, asked)
            return events
        if target == asked and intent in ANSWER_INTENTS | {self.own_intent, None}:
            return [SlotSet(asked, None)]  # an answer we cannot read: validation re-asks with the expected form
        return []

    def _asked_amount_too(self, text: str, named: SlotSpec, asked: str) -> list[EventType]:
        """"10年后攒100万" while the goal is asked: the named field is not money, so the amount answers the
        asked slot (parse_amount skips numbers followed by 年, 岁 or %)."""
        asked_spec = self.spec(asked)
        if named.parse == "amount" or asked_spec is None or asked_spec.parse != "amount":
            return []
        value = PARSERS["amount"](text)
        return [] if value is None else [SlotSet(asked, value)]

    def assumption_changes(self, text: str) -> dict[str, float]:
        """"收益改成5%" / "通胀按3%" → the assumption slot and its value (only those this plan uses)."""
        field = named_field(text, {slot: ASSUMPTIONS[slot].keywords for slot in self.assumption_slots})
        if field is None:
            return {}
        value = parse_percent(text)
        return {} if value is None else {field: value}

    def _prefill(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """At activation: age and income a known client has in bank/ (said once, changeable)."""
        wanted = {"plan_age": "age", "plan_monthly_income": "monthly_income"}
        missing = [slot for slot in self.domain_slots(domain) if slot in wanted and tracker.get_slot(slot) is None]
        if not missing or tracker.get_slot("role") != "client":
            return []
        try:
            identity = identify(tracker.sender_id)
            if identity is None or identity.client_id is None:
                return []
            with session_scope() as session:
                known = client_inputs(session, identity.client_id)
        except (DirectoryUnavailable, SQLAlchemyError) as error:
            log.warning("plan prefill skipped: %s", type(error).__name__)
            return []
        events: list[EventType] = []
        facts = []
        for slot in missing:
            value = known.get(wanted[slot])
            spec = self.spec(slot)
            if value is not None and spec is not None and in_range(spec, value):
                events.append(SlotSet(slot, value))
                facts.append(f"{spec.label}{display(spec, value)}")
        if facts:
            dispatcher.utter_message(response="utter_plan_prefilled", facts="，".join(facts))
        return events

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Each newly set slot checked against its range; a bad one is emptied with a re-ask saying what fits."""
        checked: dict[str, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            spec = self.spec(slot)
            if spec is None:
                continue
            ok = value is not None and in_range(spec, value) and self._consistent(slot, value, tracker)
            if not ok:
                dispatcher.utter_message(response=spec.invalid)
            checked[slot] = value if ok else None
        return [SlotSet(slot, value) for slot, value in checked.items()]

    def _consistent(self, slot: str, value: Any, tracker: Tracker) -> bool:
        """Cross-field checks: retirement after the current age."""
        if slot == "plan_retirement_age" and tracker.get_slot("plan_age") is not None:
            return float(value) > float(tracker.get_slot("plan_age"))
        if slot == "plan_age" and tracker.get_slot("plan_retirement_age") is not None and self.form == "plan_pension_form":
            return float(value) < float(tracker.get_slot("plan_retirement_age"))
        return True


class ValidatePlanInvestmentForm(PlanFormValidation):
    form = "plan_investment_form"
    own_intent = "plan_investment"
    assumption_slots = ("plan_annual_return",)


class ValidatePlanPensionForm(PlanFormValidation):
    form = "plan_pension_form"
    own_intent = "plan_pension"
    assumption_slots = ("plan_annual_return", "plan_inflation", "plan_replacement_ratio")
    overrides: ClassVar[Mapping[str, SlotSpec]] = {"plan_initial": replace(SPECS["plan_initial"], label="养老储备",
                                         keywords=(*SPECS["plan_initial"].keywords, "养老钱"))}


class ValidatePlanRetirementForm(PlanFormValidation):
    form = "plan_retirement_form"
    own_intent = "plan_retirement"
    assumption_slots = ("plan_annual_return", "plan_inflation")
    overrides: ClassVar[Mapping[str, SlotSpec]] = {"plan_initial": replace(SPECS["plan_initial"], label="养老资金", low_open=True, zero_words=False,
                                         invalid="utter_plan_invalid_corpus",
                                         keywords=(*SPECS["plan_initial"].keywords, "养老钱", "资金"))}


class ValidatePlanSimulationForm(PlanFormValidation):
    form = "plan_simulation_form"
    own_intent = "plan_simulation"
    overrides: ClassVar[Mapping[str, SlotSpec]] = {"plan_goal_amount": replace(SPECS["plan_goal_amount"], low_open=False, zero_words=True,
                                             invalid="utter_plan_invalid_goal_amount_optional")}


# --- results ----------------------------------------------------------------------------------------------

INPUT_SLOTS: dict[str, dict[str, str]] = {
    "plan_investment": {"goal_amount": "plan_goal_amount", "years": "plan_years", "initial": "plan_initial",
                        "monthly_saving": "plan_monthly_saving", "annual_return": "plan_annual_return"},
    "plan_pension": {"age": "plan_age", "retirement_age": "plan_retirement_age",
                     "monthly_income": "plan_monthly_income", "basic_pension_monthly": "plan_basic_pension",
                     "current_savings": "plan_initial", "annual_return": "plan_annual_return",
                     "inflation": "plan_inflation", "replacement_ratio": "plan_replacement_ratio"},
    "plan_retirement": {"age": "plan_age", "corpus": "plan_initial", "monthly_withdrawal": "plan_monthly_spending",
                        "annual_return": "plan_annual_return", "inflation": "plan_inflation"},
    "plan_simulation": {"initial": "plan_initial", "monthly_contribution": "plan_monthly_saving",
                        "years": "plan_years", "mix": "plan_risk_mix", "goal": "plan_goal_amount"},
}
LAST_PLAN_SLOT = "plan_last"
"""The last plan's kind and inputs, so that "收益改成5%" after the result re-runs it with that change."""
KEPT_SLOTS = ("plan_age", "plan_monthly_income", "plan_annual_return", "plan_inflation", "plan_replacement_ratio")
"""Slots kept after a plan (the next plan need not ask again); the others are cleared."""


def plan_inputs(kind: str, tracker: Tracker) -> dict[str, Any]:
    """The calc inputs of a plan from the tracker's slots (None for an assumption left at its default)."""
    return {key: tracker.get_slot(slot) for key, slot in INPUT_SLOTS[kind].items()}


def _identity(tracker: Tracker) -> Identity | None:
    try:
        return identify(tracker.sender_id)
    except DirectoryUnavailable:
        return None


def _save(kind: str, payload: dict[str, Any], identity: Identity | None) -> str | None:
    """The new proposal's share token, or None when the database is unavailable."""
    client_id = identity.client_id if identity is not None and identity.role == "client" else None
    try:
        with session_scope() as session:
            proposal = create_proposal(session, kind=kind, payload=payload, client_id=client_id)
            return proposal.share_token
    except SQLAlchemyError as error:
        log.error("proposal not saved: %s", type(error).__name__)
        return None


def answer_plan(kind: str, inputs: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
                ) -> list[EventType]:
    """Compute the plan, save it as a proposal and answer with a few lines, the chart, the link and the risk
    notice; the inputs are remembered for a later "收益改成5%"."""
    try:
        result = compute_plan(kind, inputs)
    except CalcInputError as error:
        dispatcher.utter_message(response="utter_plan_failed", reason=error.reason_zh, title=TITLES[kind])
        return []
    identity = _identity(tracker)
    subject = (mask_name(identity.name) or "访客") if identity is not None else "访客"
    payload = plan_payload(kind, inputs, result, subject=subject)
    dispatcher.utter_message(text="\n".join(payload["summary"]))
    token = _save(kind, payload, identity)
    if token is None:
        dispatcher.utter_message(response="utter_plan_not_saved")
    else:
        dispatcher.utter_message(image=public_url(chart_path(token, payload["charts"][0]["name"])))
        dispatcher.utter_message(json_message={
            "type": "card", "title": f"{payload['title']}建议书", "description": payload["summary"][0],
            "url": public_url(proposal_path(token)), "button_text": "查看建议书"})
    dispatcher.utter_message(text=f"风险提示：{payload['risk_notice']}")
    record_usage(tracker, kind, proposal=token)
    return [SlotSet(LAST_PLAN_SLOT, {"kind": kind, "inputs": inputs})]


class PlanResult(Action, ABC):
    """Run one plan, save it as a proposal and answer with a few lines, the chart and the link."""

    @property
    @abstractmethod
    def kind(self) -> str:
        """The plan kind (services.plan_reports.PLAN_KINDS; a class attribute in each subclass)."""

    def name(self) -> str:
        return f"action_{self.kind}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        clear = [SlotSet(slot, None) for slot in set(INPUT_SLOTS[self.kind].values()) - set(KEPT_SLOTS)]
        return clear + answer_plan(self.kind, plan_inputs(self.kind, tracker), dispatcher, tracker)


class ActionPlanInvestment(PlanResult):
    kind = "plan_investment"


class ActionPlanPension(PlanResult):
    kind = "plan_pension"


class ActionPlanRetirement(PlanResult):
    kind = "plan_retirement"


class ActionPlanSimulation(PlanResult):
    kind = "plan_simulation"


VALIDATORS: dict[str, type[PlanFormValidation]] = {
    "plan_investment": ValidatePlanInvestmentForm, "plan_pension": ValidatePlanPensionForm,
    "plan_retirement": ValidatePlanRetirementForm, "plan_simulation": ValidatePlanSimulationForm}


def plan_changes(kind: str, text: str) -> tuple[dict[str, Any], list[SlotSpec]]:
    """The inputs of a `kind` plan that `text` changes ("收益改成5%", "目标改成50万", "换成进取型"), and the
    specs of those it names with a value out of range.

    >>> plan_changes("plan_investment", "收益改成6%再算一次")[0]
    {'annual_return': 0.06}
    >>> plan_changes("plan_pension", "退休年龄改成65岁")[0]
    {'retirement_age': 65}
    >>> changed, bad = plan_changes("plan_investment", "收益改成50%")
    >>> changed, [spec.label for spec in bad]
    ({}, ['预期年化收益'])
    """
    validator = VALIDATORS[kind]()
    slot_to_input = {slot: key for key, slot in INPUT_SLOTS[kind].items()}
    found: dict[str, Any] = dict(validator.assumption_changes(text))
    if not found:
        keywords = {slot: spec.keywords for slot in slot_to_input if (spec := validator.spec(slot))}
        named = named_field(text, keywords)
        spec = validator.spec(named) if named else None
        if named and spec is not None:
            value = read_named(spec, text)
            if value is not None:
                found[named] = value
    changed: dict[str, Any] = {}
    bad: list[SlotSpec] = []
    for slot, value in found.items():
        spec = validator.spec(slot)
        if spec is None or slot not in slot_to_input:
            continue
        if in_range(spec, value):
            changed[slot_to_input[slot]] = value
        else:
            bad.append(spec)
    return changed, bad


class ActionPlanRecalculate(Action):
    """After a plan's result, "收益改成5%" / "目标改成50万" / "换成进取型" re-runs that plan with the change
    (a new proposal); a message that changes nothing gets a hint on what can be changed."""

    def name(self) -> str:
        return "action_plan_recalculate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        last = tracker.get_slot(LAST_PLAN_SLOT)
        if not isinstance(last, dict) or last.get("kind") not in VALIDATORS:
            dispatcher.utter_message(response="utter_plan_recalc_nothing")
            return []
        kind = str(last["kind"])
        changed, bad = plan_changes(kind, latest_text(tracker))
        if bad:
            dispatcher.utter_message(response=bad[0].invalid)
            return []
        if not changed:
            dispatcher.utter_message(response="utter_plan_recalc_hint", title=TITLES[kind])
            return []
        validator = VALIDATORS[kind]()
        for key, value in changed.items():
            spec = validator.spec(INPUT_SLOTS[kind][key])
            if spec is not None:
                dispatcher.utter_message(response="utter_plan_updated", field=spec.label, value=display(spec, value))
        return answer_plan(kind, {**dict(last.get("inputs") or {}), **changed}, dispatcher, tracker)

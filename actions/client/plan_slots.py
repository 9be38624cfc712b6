"""The plans' slots: how each is read from the raw text (wording in lexicon.plans), which range it accepts
(calc.plans.INPUT_RANGES), how it is said back, and the form validation the four plan forms share.

A form accepts corrections that name a field ("不对，每月能存5000") and assumption changes ("收益改成5%"), and
re-asks with calc's range when a value is out of it; questions, cancel and hand-off are left to the rules.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import NOT_FORM_INPUT, latest_intent, latest_text, named_field, requested_slot
from actions.identity import DirectoryUnavailable, identify
from bank.db import session_scope
from calc import clock
from calc.assumptions import Range
from calc.money import fmt_pct, fmt_wan, fmt_yuan
from calc.plans import INPUT_RANGES
from lexicon.plans import FIELD_WORDS, PARSERS, read_value
from services.plans import MIXES, client_inputs

log = logging.getLogger(__name__)

ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "nlu_fallback", "thank"})
"""Intents whose text may be an answer even when no number can be read from it (then we re-ask)."""
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
"""calc input → slot, by plan; a slot accepts what calc accepts for its input."""
ASSUMPTION_SLOTS = ("plan_annual_return", "plan_inflation", "plan_replacement_ratio")


@dataclass(frozen=True)
class SlotSpec:
    """How one slot of a plan is read, said back and re-asked; `limits` is calc's range of its input."""

    label: str
    parse: str  # amount | age | years | percent | mix (lexicon.plans.PARSERS)
    invalid: str
    keywords: tuple[str, ...]
    zero_words: bool
    limits: Range | None


_FIELDS = {  # slot: (label, parse, re-ask suffix, "没有" means 0, words); the savings slot worded per plan
    "plan_goal_amount": ("目标金额", "amount", "goal_amount", False, "plan_goal_amount"),
    "plan_years": ("期限", "years", "years", False, "plan_years"),
    "plan_initial": ("现有资金", "amount", "initial", True, "plan_initial"),
    "plan_monthly_saving": ("每月投入", "amount", "monthly_saving", True, "plan_monthly_saving"),
    "plan_age": ("年龄", "age", "age", False, "plan_age"),
    "plan_basic_pension": ("基本养老金", "amount", "basic_pension", True, "plan_basic_pension"),
    "plan_retirement_age": ("退休年龄", "age", "retirement_age", False, "plan_retirement_age"),
    "plan_monthly_income": ("月收入", "amount", "monthly_income", False, "plan_monthly_income"),
    "plan_monthly_spending": ("每月支取", "amount", "monthly_spending", False, "plan_monthly_spending"),
    "plan_risk_mix": ("配置风格", "mix", "risk_mix", False, "plan_risk_mix"),
    "plan_annual_return": ("预期年化收益", "percent", "annual_return", False, "plan_annual_return"),
    "plan_inflation": ("通胀假设", "percent", "inflation", False, "plan_inflation"),
    "plan_replacement_ratio": ("收入替代率", "percent", "replacement_ratio", False, "plan_replacement_ratio"),
    "plan_pension.plan_initial": ("养老储备", "amount", "initial", True, "plan_pension_savings"),
    "plan_retirement.plan_initial": ("养老资金", "amount", "corpus", False, "plan_retirement_corpus"),
    "plan_simulation.plan_goal_amount": ("目标金额", "amount", "goal_amount_optional", True, "plan_goal_amount"),
}


def _slot_spec(kind: str, key: str, slot: str) -> SlotSpec:
    label, parse, invalid, zero, words = _FIELDS.get(f"{kind}.{slot}", _FIELDS[slot])
    return SlotSpec(label, parse, f"utter_plan_invalid_{invalid}", FIELD_WORDS[words], zero, INPUT_RANGES.get(key))


SPECS: dict[str, dict[str, SlotSpec]] = {
    kind: {slot: _slot_spec(kind, key, slot) for key, slot in slots.items()} for kind, slots in INPUT_SLOTS.items()}
"""Each plan's slots, with the range calc accepts for the input each fills."""


def read(spec: SlotSpec, text: str, named: bool = False) -> Any:
    """The slot's value in the text, or None (see lexicon.plans.read_value).

    >>> read(SPECS["plan_investment"]["plan_initial"], "没有"), read(SPECS["plan_pension"]["plan_age"], "我35岁")
    (0.0, 35)
    """
    return read_value(spec.parse, text, zero_words=spec.zero_words, keywords=spec.keywords, named=named)


def in_range(spec: SlotSpec, value: Any) -> bool:
    """Whether a parsed value is acceptable for the slot (calc's range; a mix by name).

    >>> plan = SPECS["plan_investment"]
    >>> in_range(SPECS["plan_pension"]["plan_age"], 300), in_range(plan["plan_goal_amount"], 0), in_range(plan["plan_initial"], 0)
    (False, False, True)
    """
    return value in MIXES if spec.parse == "mix" else spec.limits is not None and value in spec.limits


def display(spec: SlotSpec, value: Any) -> str:
    """A value as the user reads it back, exact.

    >>> plan = SPECS["plan_pension"]
    >>> display(plan["plan_initial"], 5000.0), display(plan["plan_age"], 40), display(plan["plan_inflation"], 0.03)
    ('5,000.00元', '40岁', '3.00%')
    """
    shown = {"amount": lambda: fmt_yuan(float(value)), "percent": lambda: fmt_pct(float(value)),
             "age": lambda: f"{int(value)}岁", "years": lambda: f"{int(value)}年"}
    return shown.get(spec.parse, lambda: str(value))()


def range_words(spec: SlotSpec) -> dict[str, str]:
    """calc's range of a slot as the re-ask text says it ({low} and {high} in the domain's response).

    >>> range_words(SPECS["plan_pension"]["plan_inflation"]), range_words(SPECS["plan_investment"]["plan_goal_amount"])
    ({'low': '-2%', 'high': '10%'}, {'low': '0', 'high': '100亿'})
    """
    if spec.limits is None:
        return {}
    say = {"amount": fmt_wan, "percent": lambda v: fmt_pct(v, 0)}.get(spec.parse, lambda v: f"{v:g}")
    return {"low": say(spec.limits.low), "high": say(spec.limits.high)}


def re_ask(dispatcher: CollectingDispatcher, spec: SlotSpec) -> None:
    dispatcher.utter_message(response=spec.invalid, **range_words(spec))


def said_back(dispatcher: CollectingDispatcher, spec: SlotSpec, value: Any) -> None:
    dispatcher.utter_message(response="utter_plan_updated", field=spec.label, value=display(spec, value))


def assumption_changes(kind: str, text: str) -> dict[str, float]:
    """"收益改成5%" / "通胀按3%" → the assumption slot and its value (only those the plan uses).

    >>> assumption_changes("plan_pension", "通胀按百分之三算"), assumption_changes("plan_investment", "通胀改成3%")
    ({'plan_inflation': 0.03}, {})
    """
    field = named_field(text, {slot: spec.keywords for slot, spec in SPECS[kind].items() if slot in ASSUMPTION_SLOTS})
    value = None if field is None else read(SPECS[kind][field], text)
    return {} if field is None or value is None else {field: value}


def named_value(kind: str, text: str, slots: list[str]) -> tuple[str | None, Any]:
    """The slot among `slots` a correction names ("不对，目标是80万") and its value in the text (None if unread)."""
    named = named_field(text, {slot: SPECS[kind][slot].keywords for slot in slots if slot in SPECS[kind]})
    return named, None if named is None else read(SPECS[kind][named], text, named=True)


class PlanFormValidation(FormValidationAction):
    """Extraction and validation shared by the four plan forms (each subclass names its plan)."""

    @property
    @abstractmethod
    def kind(self) -> str:
        """The plan (a key of INPUT_SLOTS; a class attribute in each subclass)."""

    @property
    def form(self) -> str:
        return f"{self.kind}_form"

    def name(self) -> str:
        return f"validate_{self.form}"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Slots read from the latest message: an assumption change, a named correction or the requested slot."""
        intent, text, asked = latest_intent(tracker), latest_text(tracker), requested_slot(tracker)
        if intent in NOT_FORM_INPUT:
            return []
        specs, changed = SPECS[self.kind], assumption_changes(self.kind, text)
        for slot, value in changed.items():
            if in_range(specs[slot], value):
                said_back(dispatcher, specs[slot], value)
        events: list[EventType] = [SlotSet(slot, value) for slot, value in changed.items()]
        if asked is None:  # activation: what bank/ knows, and any assumption the request states
            return self._prefill(dispatcher, tracker, domain) + events
        if changed or asked not in specs:
            return events
        named, value = named_value(self.kind, text, self.domain_slots(domain))
        target = named or asked
        value = read(specs[asked], text) if named is None else value
        if value is None:  # an answer we cannot read: validation re-asks with the expected form
            answering = target == asked and intent in ANSWER_INTENTS | {self.kind, None}
            return [SlotSet(asked, None)] if answering else []
        events = [SlotSet(target, value)]
        if target != asked and in_range(specs[target], value):
            said_back(dispatcher, specs[target], value)
            amount = PARSERS["amount"](text)  # "10年后攒100万" while the goal is asked: 100万 answers it too
            if specs[target].parse != "amount" and specs[asked].parse == "amount" and amount is not None:
                events.append(SlotSet(asked, amount))
        return events

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
                known = client_inputs(session, identity.client_id, clock.today())
        except (DirectoryUnavailable, SQLAlchemyError) as error:
            log.warning("plan prefill skipped: %s", type(error).__name__)
            return []
        found = {slot: known[wanted[slot]] for slot in missing if in_range(SPECS[self.kind][slot], known.get(wanted[slot]))}
        if found:
            facts = "，".join(f"{SPECS[self.kind][slot].label}{display(SPECS[self.kind][slot], value)}"
                             for slot, value in found.items())
            dispatcher.utter_message(response="utter_plan_prefilled", facts=facts)
        return [SlotSet(slot, value) for slot, value in found.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Each newly set slot checked against its range; a bad one is emptied with a re-ask saying what fits."""
        checked: list[EventType] = []
        for slot, value in tracker.slots_to_validate().items():
            if (spec := SPECS[self.kind].get(slot)) is None:
                continue
            ok = value is not None and in_range(spec, value) and self._consistent(slot, value, tracker)
            if not ok:
                re_ask(dispatcher, spec)
            checked.append(SlotSet(slot, value if ok else None))
        return checked

    def _consistent(self, slot: str, value: Any, tracker: Tracker) -> bool:
        """Cross-field checks: retirement after the current age."""
        age, retire = tracker.get_slot("plan_age"), tracker.get_slot("plan_retirement_age")
        if slot == "plan_retirement_age" and age is not None:
            return float(value) > float(age)
        if slot == "plan_age" and retire is not None and self.kind == "plan_pension":
            return float(value) < float(retire)
        return True

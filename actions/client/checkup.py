"""财富体检 in chat: prefill a known client from bank/, ask a non-customer six questions, then one service call
(services.checkups.checkup_report) and the reply: a few lines, a chart, products and the proposal link.

Slots are read from the raw text by lexicon.checkup (custom mappings): the requested slot from the whole
message, any other slot when a clause names it ("不对，收入是3万"). Questions, cancel and hand-off reject the form
and go to the rules. Answers calc would reject (services.checkups.answer_ok) are asked again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import NOT_FORM_INPUT, latest_intent, latest_text, requested_slot
from actions.identity import sender
from actions.requests import request_key
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.models import STAFF_ROLES
from calc.clock import today
from calc.errors import CalcInputError
from calc.money import fmt_yuan
from lexicon.checkup import INVALID, names_any_field, read_field
from lexicon.numbers import yes_no
from services.checkups import (
    ANSWER_NAMES,
    PRODUCT_NOTICE,
    CheckupAnswers,
    answer_ok,
    checkup_report,
    client_facts,
    describe_answer,
    product_text,
)
from services.proposals import proposal_card

log = logging.getLogger(__name__)
Slots = dict[str, Any]

EXIT_INTENTS = frozenset({"cancel", "human_handoff", "goodbye"})
CHECKUP_SLOTS = ("checkup_age", "checkup_income", "checkup_expenses", "checkup_dependants", "checkup_assets",
                 "checkup_insurance", "checkup_confirmed")


def field_of(slot: str) -> str:
    """The lexicon field a slot holds ("checkup_income" → "income")."""
    return slot.removeprefix("checkup_")


def read_slot(slot: str, text: str, intent: str | None, asked: str | None) -> Any:
    """The value of `slot` in a message (lexicon.checkup.read_field); None for cancel, hand-off or goodbye.

    >>> read_slot("checkup_income", "不对，收入是3万", "inform", "checkup_assets")
    30000.0
    >>> read_slot("checkup_age", "35", "cancel", "checkup_age") is None
    True
    """
    if intent in EXIT_INTENTS:
        return None
    return read_field(field_of(slot), text, asked and field_of(asked), off_form=intent in NOT_FORM_INPUT)


def _extractor(slot: str) -> Callable[..., Slots]:
    """The `extract_<slot>` method rasa-sdk calls: read `slot` from the latest message."""
    def extract(form: ValidateCheckupForm, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: DomainDict) -> Slots:
        return form.extract(slot, tracker)
    return extract


def _validator(slot: str) -> Callable[..., Slots]:
    """The `validate_<slot>` method rasa-sdk calls: keep a value calc accepts, else re-ask."""
    def validate(form: ValidateCheckupForm, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> Slots:
        return form.checked(slot, value, dispatcher, tracker, answer_ok(field_of(slot), value))
    return validate


class ValidateCheckupForm(FormValidationAction):
    """Fill and check the check-up slots; out-of-range values get a re-ask that states the range."""

    def name(self) -> str:
        return "validate_checkup_form"

    def extract(self, slot: str, tracker: Tracker) -> Slots:
        """`slot` from the latest message; a correction of one kind of asset keeps the other kinds."""
        asked = requested_slot(tracker)
        value = read_slot(slot, latest_text(tracker), latest_intent(tracker), asked)
        if value is None:
            return {}
        before = tracker.get_slot(slot)
        if isinstance(value, dict) and isinstance(before, dict) and slot != asked:
            value = {**before, **value}  # "不对，存款是20万" changes one kind and keeps the others
        return {slot: value}

    def checked(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                ok: bool) -> Slots:
        """Keep or clear `slot`; a re-ask when not `ok`, a confirmation when it was not the slot asked."""
        if not ok:
            dispatcher.utter_message(response=f"utter_checkup_invalid_{slot.removeprefix('checkup_')}")
            return {slot: None}
        if requested_slot(tracker) not in (slot, None):
            dispatcher.utter_message(response="utter_checkup_updated", field=ANSWER_NAMES[field_of(slot)],
                                     value=describe_answer(field_of(slot), value))
        return {slot: value}

    extract_checkup_age = _extractor("checkup_age")
    extract_checkup_income = _extractor("checkup_income")
    extract_checkup_expenses = _extractor("checkup_expenses")
    extract_checkup_dependants = _extractor("checkup_dependants")
    extract_checkup_assets = _extractor("checkup_assets")
    extract_checkup_insurance = _extractor("checkup_insurance")
    validate_checkup_age = _validator("checkup_age")
    validate_checkup_income = _validator("checkup_income")
    validate_checkup_expenses = _validator("checkup_expenses")
    validate_checkup_dependants = _validator("checkup_dependants")
    validate_checkup_assets = _validator("checkup_assets")
    validate_checkup_insurance = _validator("checkup_insurance")

    def extract_checkup_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Slots:
        intent, text = latest_intent(tracker), latest_text(tracker)
        if requested_slot(tracker) != "checkup_confirmed" or intent in EXIT_INTENTS:
            return {}
        if names_any_field(text):
            return {"checkup_confirmed": True}  # the user said what changed; the other extractors read it
        if intent in NOT_FORM_INPUT:
            return {}
        answer = yes_no(text)
        return {"checkup_confirmed": INVALID if answer is None else answer}

    def validate_checkup_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Slots:
        if value is True:
            return {"checkup_confirmed": True}
        dispatcher.utter_message(response="utter_checkup_stale_unconfirmed")
        return {"checkup_confirmed": None}


def client_of(identity: Identity | None) -> int | None:
    """The client id of a sender who is a known client."""
    return identity.client_id if identity is not None and identity.role == "client" else None


def _guest_start(dispatcher: CollectingDispatcher, identity: Identity | None) -> list[EventType]:
    if identity is not None and identity.role in STAFF_ROLES:
        # Staff running it themselves: say how to do it for an existing client, then run it for a walk-in
        # prospect (行外客户) as the form expects.
        dispatcher.utter_message(response="utter_checkup_staff_hint")
    dispatcher.utter_message(response="utter_checkup_intro_guest")
    return [SlotSet("checkup_confirmed", True)]


class ActionCheckupStart(Action):
    """Start a check-up: clear the last one, prefill a known client's facts from bank/ (asking to confirm
    income and expenses only when they are stale)."""

    def name(self) -> str:
        return "action_checkup_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        events: list[EventType] = [SlotSet(slot, None) for slot in (*CHECKUP_SLOTS, "checkup_awaiting_risk")]
        client_id = client_of(identity)
        if client_id is None or identity is None:
            return [*events, *_guest_start(dispatcher, identity)]
        try:
            with session_scope() as session:
                facts = client_facts(session, client_id, today())
        except (SQLAlchemyError, LookupError) as error:
            log.error("check-up prefill failed: %s", type(error).__name__)
            return [*events, *_guest_start(dispatcher, identity)]
        dispatcher.utter_message(response="utter_checkup_intro_client", name=identity.name)
        return [*events, SlotSet("checkup_age", float(facts.age)), SlotSet("checkup_income", facts.monthly_income),
                SlotSet("checkup_expenses", facts.monthly_expenses),
                SlotSet("checkup_dependants", float(facts.dependants)), SlotSet("checkup_assets", facts.holdings),
                SlotSet("checkup_insurance", facts.insurance), SlotSet("checkup_confirmed", None if facts.stale else True)]


class ActionAskCheckupConfirmed(Action):
    """Show a known client the income, expenses and dependants on record and ask whether they still hold."""

    def name(self) -> str:
        return "action_ask_checkup_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_checkup_confirm_record", income=fmt_yuan(tracker.get_slot("checkup_income") or 0),
            expenses=fmt_yuan(tracker.get_slot("checkup_expenses") or 0),
            dependants=int(tracker.get_slot("checkup_dependants") or 0))
        return []


def answers_of(tracker: Tracker) -> CheckupAnswers:
    """The check-up answers in the slots (TypeError / ValueError when one is missing)."""
    return CheckupAnswers(
        age=int(tracker.get_slot("checkup_age")), monthly_income=float(tracker.get_slot("checkup_income")),
        monthly_expenses=float(tracker.get_slot("checkup_expenses")),
        dependants=int(tracker.get_slot("checkup_dependants")), holdings=tracker.get_slot("checkup_assets") or {},
        insurance=tracker.get_slot("checkup_insurance") or {})


class ActionCheckupResult(Action):
    """Run the check-up (one service call) and answer in a few lines, a chart, products and a link."""

    def name(self) -> str:
        return "action_checkup_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_of(identity)
        try:
            with session_scope() as session:
                report = checkup_report(session, client_id, answers_of(tracker), today(),
                                        client_name=identity.name if client_id and identity else None,
                                        session_level=tracker.get_slot("risk_level_result"),
                                        request_key=request_key(tracker, self.name()))
        except CalcInputError as error:
            dispatcher.utter_message(response="utter_checkup_failed", reason=error.reason_zh)
            return []
        except (SQLAlchemyError, TypeError, ValueError) as error:
            log.error("check-up failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, "checkup", known_client=bool(client_id), score=report.score)
        dispatcher.utter_message(text="\n".join(report.summary))
        dispatcher.utter_message(image=report.chart_url)
        if report.products:
            dispatcher.utter_message(text="\n".join([
                f"符合您风险等级（{report.level}）的产品，可以先了解{report.note}：", product_text(report.products),
                PRODUCT_NOTICE]))
        else:
            dispatcher.utter_message(response="utter_checkup_offer_risk", note=report.note)
        dispatcher.utter_message(json_message=proposal_card(
            "财富体检报告", f"体检得分{report.score}分，含三笔钱、配置建议和风险提示", token=report.token))
        return [SlotSet("checkup_categories", report.categories),
                SlotSet("checkup_awaiting_risk", not report.products)]

"""风险测评 in chat: calc.risk.QUESTIONNAIRE one question at a time (buttons or typed answers), the C-level in a
sentence, stored with its date for known clients; after a check-up that was waiting for it, the products.
How long a result holds is said from calc.risk.RISK_VALID_DAYS (services.risk)."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.client.checkup import client_of
from actions.forms import NOT_FORM_INPUT, latest_intent, latest_text, requested_slot
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.risk_profiles import questionnaire, risk_status, store_assessment
from calc.clock import today
from calc.errors import CalcInputError
from calc.risk import Question, score_answers
from lexicon.checkup import INVALID, looks_like_question
from lexicon.numbers import parse_int
from services.checkups import PRODUCT_NOTICE, product_lines, product_text, suitable_products
from services.risk import current_level_words, validity_words

log = logging.getLogger(__name__)

FORM = "risk_form"
LETTERS = "ABCDE"
EXIT_INTENTS = frozenset({"cancel", "human_handoff", "goodbye"})
SLOTS = {f"risk_q_{q.id}": q for q in questionnaire()}
_ORDINAL = re.compile(r"第\s*([一二三四五12345])\s*[个项条]?|([一二三四五12345])\s*[个项号]$")


def slot_of(question: Question) -> str:
    """The slot that holds the answer to a question.

    >>> slot_of(questionnaire()[0])
    'risk_q_age'
    """
    return f"risk_q_{question.id}"


def option_index(question: Question, text: str, letter: str | None = None) -> int | None:
    """The option a reply chooses: a button's letter, "B" / "选b", "第二个" / "2", or the option's own words.

    >>> q = questionnaire()[7]  # 您最多能接受本金亏损多少？
    >>> [option_index(q, t) for t in ("B", "选c", "第二个", "4", "5%-15%", "不能承受任何亏损", "嗯")]
    [1, 2, 1, 3, 2, 0, None]
    >>> option_index(q, "", letter="E")
    4
    """
    count = len(question.options)
    if letter and letter.strip().upper()[:1] in LETTERS[:count]:
        return LETTERS.index(letter.strip().upper()[:1])
    normal = text.strip().upper().replace("选项", "").replace("选", "").strip(" .。!！")
    if len(normal) == 1 and normal in LETTERS[:count]:
        return LETTERS.index(normal)
    match = re.match(r"^([A-E])[\s.、．:：)]", normal)
    if match and match.group(1) in LETTERS[:count]:
        return LETTERS.index(match.group(1))
    labels = [(i, o.label) for i, o in enumerate(question.options)]
    contained = [(len(label), i) for i, label in labels if label in text]
    if contained:
        return max(contained)[1]
    ordinal = _ORDINAL.search(normal)
    if ordinal or normal.isdigit():
        value = parse_int(ordinal.group(0) if ordinal else normal)
        if value is not None and 1 <= value <= count:
            return value - 1
    partial = [i for i, label in labels if len(normal) >= 2 and normal in label.upper()]
    return partial[0] if len(partial) == 1 else None


def _answer_entity(tracker: Tracker) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "risk_answer" and entity.get("value"):
            return str(entity["value"])
    return None


def read_answer(question: Question, text: str, intent: str | None, letter: str | None) -> Any:
    """The option index chosen, INVALID for an unreadable answer, None for a digression or cancel.

    >>> q = questionnaire()[0]
    >>> read_answer(q, "E", "inform", None), read_answer(q, "随便", "inform", None)
    (4, '__invalid__')
    >>> read_answer(q, "混合基金是什么？", "ask_knowledge", None) is None, read_answer(q, "算了", "cancel", None) is None
    (True, True)
    """
    if intent in EXIT_INTENTS:
        return None
    index = option_index(question, text, letter)
    if index is not None and not (intent in NOT_FORM_INPUT and looks_like_question(text)):
        return index
    return None if intent in NOT_FORM_INPUT else INVALID


class ValidateRiskForm(FormValidationAction):
    """Read each questionnaire answer from the latest message; anything unreadable is asked again."""

    def name(self) -> str:
        return "validate_risk_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        return list(SLOTS)

    async def extract_requested(self, tracker: Tracker) -> dict[str, Any]:
        slot = requested_slot(tracker)
        if slot not in SLOTS:
            return {}
        value = read_answer(SLOTS[slot], latest_text(tracker), latest_intent(tracker), _answer_entity(tracker))
        return {} if value is None else {slot: value}

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        return [SlotSet(slot, value) for slot, value in (await self.extract_requested(tracker)).items()]

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        events: list[EventType] = []
        for slot, value in tracker.slots_to_validate().items():
            if slot not in SLOTS or value is None:  # cleared by action_risk_start, nothing to check
                continue
            question = SLOTS[slot]
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(question.options):
                events.append(SlotSet(slot, value))
            else:
                dispatcher.utter_message(response="utter_risk_invalid_answer")
                events.append(SlotSet(slot, None))
        return events


class ActionRiskStart(Action):
    """Start the questionnaire afresh (clear earlier answers), tell a known client their current level, and say
    how to answer."""

    def name(self) -> str:
        return "action_risk_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        client_id = client_of(identity) if ok else None
        if client_id is not None:
            try:
                with session_scope() as session:
                    status = risk_status(session, client_id, today())
            except (SQLAlchemyError, LookupError) as error:
                log.error("risk status not read: %s", type(error).__name__)
            else:
                if status.level and status.assessed_on:
                    dispatcher.utter_message(response="utter_risk_current", **current_level_words(status))
        dispatcher.utter_message(response="utter_risk_intro")
        return [SlotSet(slot, None) for slot in SLOTS]


class ActionRiskResult(Action):
    """Score the answers, explain the level in a sentence, store it for a known client, and list the products
    a check-up was holding back (at or below the new level only)."""

    def name(self) -> str:
        return "action_risk_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        answers = {q.id: tracker.get_slot(slot) for slot, q in SLOTS.items()}
        try:
            result = score_answers(answers)
        except CalcInputError as error:
            log.warning("risk answers incomplete: %s", error.field)
            dispatcher.utter_message(response="utter_risk_failed")
            return [SlotSet(slot, None) for slot in SLOTS]
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_of(identity)
        dispatcher.utter_message(response="utter_risk_result", explanation=result.explanation_zh)
        products: list[dict[str, str]] = []
        try:
            with session_scope() as session:
                if client_id is not None:
                    status = store_assessment(session, client_id, result.level, today())
                    dispatcher.utter_message(response="utter_risk_stored", date=str(status.assessed_on),
                                             validity=validity_words())
                if tracker.get_slot("checkup_awaiting_risk"):
                    categories = tracker.get_slot("checkup_categories") or []
                    products = product_lines(suitable_products(session, result.level, categories, 3))
        except SQLAlchemyError as error:
            log.error("risk result not stored: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
        if client_id is None:
            dispatcher.utter_message(response="utter_risk_guest")
        if products:
            dispatcher.utter_message(text="\n".join([
                f"按您的测评结果（{result.level}），体检建议的产品可以先了解：", product_text(products), PRODUCT_NOTICE]))
        record_usage(tracker, "risk_assessment", level=result.level, known_client=client_id is not None)
        return [*(SlotSet(slot, None) for slot in SLOTS), SlotSet("risk_level_result", result.level),
                SlotSet("checkup_awaiting_risk", False)]

"""A fallback that asks: when the NLU is unsure (nlu_fallback), offer the likeliest journeys as buttons; after a
second miss in a row, try the knowledge base and offer the advisor. Each miss is counted, with its wording masked,
for the manager dashboard (services/fallbacks.py), so training data can grow from real use."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import latest_text
from actions.questions import sources_line
from bank.db import session_scope
from bank.models import STAFF_ROLES
from services.fallbacks import off_topic, options, record_miss, top_intent
from services.questions import Answer, answer_question, needs_risk_notice

log = logging.getLogger(__name__)
NAME = "action_clarify"
# Entities a chosen journey may need from the words that were not understood (a client's name, a period …).
CARRIED_ENTITIES = ("person", "amount", "age", "years", "percent", "period", "product", "risk_level")


def option_title(domain: dict[str, Any], intent: str) -> str:
    """A button's title: the text of the domain response `utter_option_<intent>`, else the intent's name."""
    variants = (domain.get("responses") or {}).get(f"utter_option_{intent}") or []
    return str(variants[0].get("text") or intent) if variants else intent


def option_payload(intent: str, entities: list[dict[str, Any]]) -> str:
    """`/intent{...}` with the entities the message carried, so that the journey starts with them.

    >>> option_payload("client_profile", [{"entity": "person", "value": "张伟"}, {"entity": "push_task", "value": "x"}])
    '/client_profile{"person": "张伟"}'
    >>> option_payload("help", [])
    '/help'
    """
    carried: dict[str, Any] = {}
    for entity in entities:
        if entity.get("entity") in CARRIED_ENTITIES and entity.get("value") not in (None, ""):
            carried.setdefault(str(entity["entity"]), entity["value"])
    return f"/{intent}" + (json.dumps(carried, ensure_ascii=False) if carried else "")


def missed_before(tracker: Tracker) -> bool:
    """Whether the user's previous message was not understood either: the bot answered it with this action and
    the latest message is another miss (or a "none of these")."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "action" and event.get("name") not in (None, "action_listen"):
            return event.get("name") == NAME
    return False


class ActionClarify(Action):
    """nlu_fallback: a question back with the likeliest journeys as buttons (or the knowledge base's answer when
    the message leans to a question); a second miss in a row gets the knowledge base and the advisor."""

    def name(self) -> str:
        return NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = latest_text(tracker)
        entities = list(message.get("entities") or [])
        ranking = list(message.get("intent_ranking") or [])
        role = tracker.get_slot("role")
        top = top_intent(ranking)
        offered: list[str] = []
        if missed_before(tracker):
            stage = self.second_miss(dispatcher, text, role, domain)
        elif off_topic(ranking):
            stage = "off_topic"
            dispatcher.utter_message(response="utter_out_of_scope")
        elif top == "ask_knowledge" and self.answer(dispatcher, text, role):
            stage = "answered"
        elif found := options(ranking, role):
            stage, offered = "offered", [o.intent for o in found]
            buttons = [{"title": option_title(domain, o.intent), "payload": option_payload(o.intent, entities)}
                       for o in found]
            buttons.append({"title": option_title(domain, "none"), "payload": "/deny"})
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        elif self.answer(dispatcher, text, role):
            stage = "answered"
        else:
            stage = "rephrase"
            dispatcher.utter_message(response="utter_default", buttons=self.way_out(domain, role))
        self.record(tracker, role, stage, text, entities, top, offered)
        return []

    def second_miss(self, dispatcher: CollectingDispatcher, text: str, role: str | None,
                    domain: dict[str, Any]) -> str:
        """The knowledge base's answer if it has one, and a way out: the advisor for clients, the menu for staff."""
        question = text if not text.startswith("/") else ""
        if question and self.answer(dispatcher, question, role):
            dispatcher.utter_message(response="utter_clarify_more_help", buttons=self.way_out(domain, role))
        else:
            dispatcher.utter_message(response="utter_clarify_again_staff" if role in STAFF_ROLES
                                     else "utter_clarify_again", buttons=self.way_out(domain, role))
        return "second"

    @staticmethod
    def way_out(domain: dict[str, Any], role: str | None) -> list[dict[str, str]]:
        intents = ["help"] if role in STAFF_ROLES else ["human_handoff", "help"]
        return [{"title": option_title(domain, i), "payload": f"/{i}"} for i in intents]

    @staticmethod
    def answer(dispatcher: CollectingDispatcher, question: str, role: str | None) -> bool:
        """Answer from the knowledge base when it has something; False when not (or when it cannot be asked)."""
        if len(question) < 2:
            return False
        try:
            reply: Answer = answer_question(question, role)
        except Exception as error:  # an index problem must not cost the user the clarifying question
            log.error("knowledge answer failed: %s", type(error).__name__)
            return False
        if not reply.found:
            return False
        lines = [reply.text] + ([source] if (source := sources_line(reply)) else [])
        dispatcher.utter_message(text="\n".join(lines))
        if needs_risk_notice(question, reply):
            dispatcher.utter_message(response="utter_risk_notice")
        return True

    @staticmethod
    def record(tracker: Tracker, role: str | None, stage: str, text: str, entities: list[dict[str, Any]],
               top: str | None, offered: list[str]) -> None:
        if not tracker.sender_id:
            return
        try:
            with session_scope() as session:
                record_miss(session, tracker.sender_id, role, stage, "" if text.startswith("/") else text, entities,
                            top, offered)
        except (SQLAlchemyError, ValueError) as error:
            log.warning("fallback not recorded: %s", type(error).__name__)

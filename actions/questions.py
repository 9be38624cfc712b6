"""Questions about products, markets and investing, answered from knowledge/ for the sender's audience."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import latest_text
from actions.usage import record_usage
from bank.models import STAFF_ROLES
from services.questions import Answer, answer_question, needs_risk_notice

log = logging.getLogger(__name__)


def sources_line(reply: Answer) -> str:
    """One line naming up to three sources, with dates for news.

    >>> sources_line(Answer(True, "x", [{"title": "国债逆回购入门", "date": "2026-01-02", "type": "training"}]))
    '来源：《国债逆回购入门》'
    """
    names = []
    for source in reply.sources[:3]:
        name = f"《{source.get('title', '')}》"
        if source.get("type") == "news" and source.get("date"):
            name += f"（{source['date']}）"
        names.append(name)
    return "来源：" + "、".join(names) if names else ""


class ActionAnswerQuestion(Action):
    """Answer with knowledge.answer for the sender's audience, with sources, a risk notice, or an honest
    not-found that offers the advisor. Also used as a digression inside any form (the form resumes after)."""

    #: Responses when there is nothing to answer: (too short, not found for staff, not found for others).
    unanswered = ("utter_knowledge_ask", "utter_knowledge_not_found_staff", "utter_knowledge_not_found")
    #: Whether a question with no answer still counts as a use of the question feature.
    record_unanswered = True

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = latest_text(tracker)
        if len(question) < 2:
            dispatcher.utter_message(response=self.unanswered[0])
            return []
        role = tracker.get_slot("role")
        try:
            reply = answer_question(question, role)
        except Exception as error:  # an index problem must not leave the user without an answer
            log.error("knowledge answer failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        # Staff questions are kept (for learning suggestions); clients' questions never are. A message that was
        # not understood and not answered is not a use of the question feature.
        if reply.found or self.record_unanswered:
            record_usage(tracker, "knowledge_qa", found=reply.found,
                         question=question[:200] if role in STAFF_ROLES else None)
        if not reply.found:
            dispatcher.utter_message(response=self.unanswered[1] if role in STAFF_ROLES else self.unanswered[2])
            return []
        lines = [reply.text]
        if source := sources_line(reply):
            lines.append(source)
        dispatcher.utter_message(text="\n".join(lines))
        if needs_risk_notice(question, reply):
            dispatcher.utter_message(response="utter_risk_notice")
        # "把这条资讯转给李娜" (actions/advisor/sharing.py) sends the document this answer came from.
        return [SlotSet("last_knowledge_doc", reply.passages[0].doc_id)] if reply.passages else []


class ActionFallbackAnswer(ActionAnswerQuestion):
    """A message the bot did not understand (nlu_fallback) may still be a question the knowledge base answers:
    answer it if so, otherwise ask to rephrase (utter_default), so an odd wording is not a dead end."""

    unanswered = ("utter_default", "utter_default", "utter_default")
    record_unanswered = False

    def name(self) -> str:
        return "action_fallback_answer"

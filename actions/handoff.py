"""Hand-off: the client asks for their advisor; the advisor gets a WeCom message with a conversation summary."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.forms import latest_text
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.handoffs import KIND, prepare_handoff, summary_card
from services.links import public_url
from services.notify import notify

log = logging.getLogger(__name__)
TRANSCRIPT_TURNS = 12


def transcript(events: list[dict[str, Any]], limit: int = TRANSCRIPT_TURNS) -> list[dict[str, str]]:
    """The last `limit` user and bot messages of a conversation, oldest first.

    >>> transcript([{"event": "user", "text": "你好"}, {"event": "bot", "text": "您好"}, {"event": "action"}])
    [{'who': '客户', 'text': '你好'}, {'who': '助手', 'text': '您好'}]
    """
    lines = [{"who": "客户" if e["event"] == "user" else "助手", "text": str(e.get("text") or "")}
             for e in events if e.get("event") in ("user", "bot") and e.get("text")]
    return lines[-limit:]


def asked_question(events: list[dict[str, Any]], current: str) -> str:
    """What the client wants: the message before the hand-off request when that one only asks for a person.

    >>> asked_question([{"event": "user", "text": "基金亏了怎么办"}, {"event": "user", "text": "转人工"}], "转人工")
    '基金亏了怎么办'
    >>> asked_question([], "我想找理财经理聊聊养老金")
    '我想找理财经理聊聊养老金'
    """
    if len(current) > 8:
        return current
    earlier = [str(e.get("text") or "") for e in events if e.get("event") == "user" and e.get("text")]
    earlier = [text for text in earlier if text != current]
    return earlier[-1] if earlier else current


class ActionHumanHandoff(Action):
    """Tell the client's advisor (WeCom message + summary link) and tell the client who will call back."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ok, who = sender(dispatcher, tracker)
        if not ok:
            return []
        record_usage(tracker, "human_handoff")
        if who is None:
            dispatcher.utter_message(response="utter_handoff_unknown")
            return []
        if who.client_id is None:
            dispatcher.utter_message(response="utter_handoff_staff")
            return []
        events = list(tracker.events)
        question = asked_question(events, latest_text(tracker))
        try:
            with session_scope() as session:
                handoff = prepare_handoff(session, who.client_id)
        except (SQLAlchemyError, LookupError) as error:
            log.error("hand-off lookup failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        if handoff is None:
            dispatcher.utter_message(response="utter_handoff_unassigned")
            return []
        url = public_url(f"/handoffs/{handoff.token}")
        text = (f"客户{handoff.client_name}（{handoff.phone_tail}）请您联系。\n"
                f"客户的问题：{question[:200]}")
        notify(handoff.advisor_userid, text, card=summary_card(handoff, question, transcript(events), url), kind=KIND)
        dispatcher.utter_message(response="utter_handoff_done", advisor_name=handoff.advisor_name)
        return []

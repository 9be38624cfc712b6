"""A client's own choice about the monthly 财富账单: "不要再给我发账单" turns it off, "恢复发送账单" back on
(services/statements.py; every statement job checks it)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.client.wealth import client_sender
from actions.usage import record_usage
from bank.db import session_scope
from services.statements import set_statements

log = logging.getLogger(__name__)
FEATURE_ZH = "每月账单的订阅设置"
WANTED = {"statements_on": True, "statements_off": False}


class ActionStatementPreference(Action):
    """Turn the monthly statement off or on for the client who asks (by the intent); others get a polite note."""

    def name(self) -> str:
        return "action_statement_preference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        client_id = client_sender(dispatcher, tracker, FEATURE_ZH)
        if client_id is None:
            return []
        intent: Any = (tracker.latest_message or {}).get("intent", {}).get("name")
        wanted = WANTED.get(str(intent), False)
        try:
            with session_scope() as session:
                set_statements(session, client_id, wanted)
        except SQLAlchemyError as error:
            log.error("statement preference failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, "statement_preference", wanted=wanted)
        dispatcher.utter_message(response="utter_statements_on" if wanted else "utter_statements_off")
        return []

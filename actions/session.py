"""Session start: look the sender up once and remember their role, so rules can route by intent and role."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import DirectoryUnavailable, identify, role_of


class ActionSessionStart(Action):
    """Start a session with the `role` and `user_name` slots filled from bank/."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        try:
            identity = identify(tracker.sender_id)
        except DirectoryUnavailable:
            identity = None
        else:
            events.append(SlotSet("role", role_of(identity)))
            events.append(SlotSet("user_name", identity.name if identity else None))
        events.append(ActionExecuted("action_listen"))
        return events

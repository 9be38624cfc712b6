"""Actions every audience shares: the greeting and help menu, chosen by the sender's role."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import role_of, sender

MENU_BY_ROLE = {
    "advisor": "utter_greet_advisor",
    "manager": "utter_greet_manager",
    "client": "utter_greet_client",
    "unknown": "utter_greet_unknown",
}


class ActionRoleMenu(Action):
    """Greet the sender by name and show what they can ask, according to their role."""

    def name(self) -> str:
        return "action_role_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        role = role_of(identity)
        name = identity.name if identity is not None else ""
        dispatcher.utter_message(response=MENU_BY_ROLE[role], name=name)
        return [SlotSet("role", role), SlotSet("user_name", name or None)]

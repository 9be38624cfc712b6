"""Leaving a form: "算了" / "不做了" while any form is active."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher


def form_slots(domain: dict[str, Any], form: str) -> list[str]:
    """The slots a form asks for, as the domain declares them.

    >>> form_slots({"forms": {"f": {"required_slots": ["a", "b"]}}}, "f")
    ['a', 'b']
    """
    spec = (domain.get("forms") or {}).get(form) or {}
    return [str(slot) for slot in spec.get("required_slots") or []]


class ActionCancelForm(Action):
    """Deactivate the active form and clear what it collected; say so in one line."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name")
        if not form:
            dispatcher.utter_message(response="utter_nothing_to_cancel")
            return []
        dispatcher.utter_message(response="utter_form_cancelled")
        cleared = [SlotSet(slot, None) for slot in form_slots(domain, form) if tracker.get_slot(slot) is not None]
        return [ActiveLoop(None), SlotSet("requested_slot", None), *cleared]

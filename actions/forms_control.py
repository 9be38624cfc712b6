"""Leaving a form, or a preview waiting for 确认: "算了" / "不做了"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

PENDING: dict[str, tuple[str, tuple[str, ...]]] = {
    "push_awaiting": ("utter_push_aborted", ("push_portfolio_id", "push_client_ids", "push_amount")),
    "note_awaiting": ("utter_note_discarded", ("note_body", "note_kind")),
    "edit_awaiting": ("utter_portfolio_edit_discarded", ("portfolio_edit",)),
    "cancel_awaiting": ("utter_policy_cancel_kept", ("cancel_order_id",)),
}
"""A preview waiting for 确认 (its flag slot) → what "算了" answers and the slots it clears."""


def form_slots(domain: dict[str, Any], form: str) -> list[str]:
    """The slots a form asks for, as the domain declares them.

    >>> form_slots({"forms": {"f": {"required_slots": ["a", "b"]}}}, "f")
    ['a', 'b']
    """
    spec = (domain.get("forms") or {}).get(form) or {}
    return [str(slot) for slot in spec.get("required_slots") or []]


class ActionCancelForm(Action):
    """Deactivate the active form and clear what it collected; say so in one line. Without a form, drop the
    preview that waits for 确认 (a push, a note, a portfolio change, a policy cancellation)."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name")
        if not form:
            waiting = next((flag for flag in PENDING if tracker.get_slot(flag)), None)
            if waiting is None:
                dispatcher.utter_message(response="utter_nothing_to_cancel")
                return []
            response, slots = PENDING[waiting]
            dispatcher.utter_message(response=response)
            return [SlotSet(waiting, False), *(SlotSet(slot, None) for slot in slots)]
        dispatcher.utter_message(response="utter_form_cancelled")
        cleared = [SlotSet(slot, None) for slot in form_slots(domain, form) if tracker.get_slot(slot) is not None]
        return [ActiveLoop(None), SlotSet("requested_slot", None), *cleared]

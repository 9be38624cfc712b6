"""记录电访/面访/沙龙 in chat: "刚给张伟打了电话，他想了解养老，下周再约" → a stored contact with a next step."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advisor.common import CLIENT_SLOT, answer_unresolved, resolve_client
from actions.forms import latest_text
from actions.requests import request_key
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.access import AccessDenied
from bank.contacts import CONTACT_NAMES, FOLLOW_UP_DAYS, NotStaff, contact_kind, record_contact, split_note
from bank.directory import Identity
from bank.models import Client
from calc import clock
from lexicon.when import day_named


def due_words(due: dt.date | None) -> str:
    """What the reply adds after the next step: the day the morning briefing will remind of it.

    >>> due_words(dt.date(2026, 12, 9)), due_words(None)
    ('（12月09日提醒）', '')
    """
    return f"（{due:%m月%d日}提醒）" if due else ""


class ActionLogContact(StaffAction):
    """Store the contact the message reports; ask again (saying what is needed) when the kind or client is missing."""

    feature = "contact_log"

    def name(self) -> str:
        return "action_adv_log_contact"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        text = latest_text(tracker)
        kind = contact_kind(text)
        try:
            with self.session() as session:
                found = resolve_client(session, viewer, tracker, clock.today())
                if found.status != "found" or found.client_id is None:
                    answer_unresolved(dispatcher, tracker, found, viewer)
                    record_usage(tracker, "contact_log", outcome=found.status)
                    return []
                if kind is None:
                    dispatcher.utter_message(response="utter_adv_ask_contact_kind")
                    return [SlotSet(CLIENT_SLOT, found.client_id)]
                client = session.get(Client, found.client_id)
                name = client.name if client else ""
                note, next_step = split_note(text, name)
                due = day_named(next_step, clock.today()) if next_step else None
                contact = record_contact(session, viewer, found.client_id, kind, note, next_step,
                                         request_key=request_key(tracker, self.name()), next_step_on=due)
                when = contact.happened_at
        except (AccessDenied, NotStaff):
            dispatcher.utter_message(response="utter_adv_client_not_found", name=found.name)
            return []
        record_usage(tracker, "contact_log", kind=kind)
        dispatcher.utter_message(response="utter_adv_contact_logged", name=name, kind=CONTACT_NAMES[kind],
                                 when=f"{when:%m-%d %H:%M}", note=note, next_step=next_step or "未填写", due=due_words(contact.next_step_on),
                                 follow_up_days=FOLLOW_UP_DAYS)
        return [SlotSet(CLIENT_SLOT, found.client_id)]

"""记录电访/面访/沙龙 in chat: "刚给张伟打了电话，他想了解养老，下周再约" → a stored contact with a next step."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.advisor.common import CLIENT_SLOT, answer_unresolved, resolve_client, staff_sender, today
from actions.forms import latest_text
from actions.usage import record_usage
from bank.access import AccessDenied
from bank.contacts import CONTACT_NAMES, NotStaff, contact_kind, record_contact, split_note
from bank.db import session_scope
from bank.models import Client

log = logging.getLogger(__name__)


class ActionLogContact(Action):
    """Store the contact the message reports; ask again (saying what is needed) when the kind or client is missing."""

    def name(self) -> str:
        return "action_adv_log_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        viewer = staff_sender(dispatcher, tracker)
        if viewer is None:
            record_usage(tracker, "contact_log", outcome="refused")
            return []
        text = latest_text(tracker)
        kind = contact_kind(text)
        try:
            with session_scope() as session:
                found = resolve_client(session, viewer, tracker, today())
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
                contact = record_contact(session, viewer, found.client_id, kind, note, next_step)
                when = contact.happened_at
        except (AccessDenied, NotStaff):
            dispatcher.utter_message(response="utter_adv_client_not_found", name=found.name)
            return []
        except SQLAlchemyError as error:
            log.error("contact log failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, "contact_log", kind=kind)
        dispatcher.utter_message(response="utter_adv_contact_logged", name=name, kind=CONTACT_NAMES[kind],
                                 when=f"{when:%m-%d %H:%M}", note=note, next_step=next_step or "未填写")
        return [SlotSet(CLIENT_SLOT, found.client_id)]

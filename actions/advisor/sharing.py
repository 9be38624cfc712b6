"""Sending an item to a named client in chat: "把这份建议书发给王芳", "把这条资讯转给李娜", "把刚才的推送发给张伟".
The latest item of that kind is sent through the outbox and recorded as a contact (services/sharing.py)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import latest_text
from actions.requests import request_key
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from services.pushes import names_in_text
from services.share_items import ITEM_NAMES, ShareRefused
from services.share_requests import kind_named, latest_item
from services.sharing import resolve_client, share_with_client


class ActionShareItem(StaffAction):
    """Send the item the message means to the client it names; every refusal says why."""

    feature = "share"

    def name(self) -> str:
        return "action_share_item"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        text = latest_text(tracker)
        kind = kind_named(text)
        if kind is None:
            dispatcher.utter_message(response="utter_share_ask_what")
            return []
        with self.session() as session:
            names = names_in_text(session, viewer, text)
            if len(names) != 1:
                dispatcher.utter_message(response="utter_share_ask_who" if not names else "utter_share_one_client")
                return []
            try:
                client_id = resolve_client(session, viewer, names[0], clock.today())
                item = latest_item(session, viewer, kind, client_id, tracker.get_slot("last_knowledge_doc"))
                if item is None:
                    dispatcher.utter_message(response="utter_share_nothing", item=ITEM_NAMES[kind])
                    return []
                result = share_with_client(session, viewer, client_id, item, clock.now(),
                                           request_key=request_key(tracker, self.name()))
            except ShareRefused as refused:
                dispatcher.utter_message(response="utter_share_refused", reason=refused.reason)
                return []
        record_usage(tracker, self.feature, kind=kind, status=result.status, route=result.route)
        dispatcher.utter_message(text=result.message)
        return []

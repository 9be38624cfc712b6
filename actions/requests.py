"""The message a turn answers, as the key of the writes it makes (bank/idempotency.py): a turn replayed after
a crash (the inbox hands the same WeCom message to Rasa again) then writes nothing twice."""

from __future__ import annotations

from rasa_sdk import Tracker


def request_key(tracker: Tracker, action: str) -> str | None:
    """`<message id>:<action>` for the latest user message, or None when the message carries no id.

    >>> request_key(Tracker("u", {}, {"message_id": "msg:42"}, [], False, None, {}, ""), "action_push_send")
    'msg:42:action_push_send'
    """
    message_id = (tracker.latest_message or {}).get("message_id")
    return f"{message_id}:{action}" if message_id else None

"""Who is talking: the sender id (a WeCom userid or external userid) looked up in bank/."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bank.db import session_scope
from bank.directory import Identity, who_is

log = logging.getLogger(__name__)

UNKNOWN = "unknown"


class DirectoryUnavailable(RuntimeError):
    """The bank's directory could not be read (database down or misconfigured)."""


def identify(sender_id: str | None) -> Identity | None:
    """Return the sender's identity, or None for a sender the bank does not know.

    Raises DirectoryUnavailable when the database cannot be reached, so that a real advisor is never
    told they are unregistered because of an outage.
    """
    if not sender_id:
        return None
    try:
        with session_scope() as session:
            return who_is(session, sender_id)
    except SQLAlchemyError as error:
        log.error("directory lookup failed: %s", type(error).__name__)
        raise DirectoryUnavailable(str(type(error).__name__)) from error


def role_of(identity: Identity | None) -> str:
    """The slot value for a sender: advisor, manager, client or unknown."""
    return identity.role if identity is not None else UNKNOWN


def sender(dispatcher: CollectingDispatcher, tracker: Tracker) -> tuple[bool, Identity | None]:
    """(ok, identity) of the conversation's sender; ok is False when the directory is down (the user has been
    told the system is busy, so an action can simply stop)."""
    try:
        return True, identify(tracker.sender_id)
    except DirectoryUnavailable:
        dispatcher.utter_message(response="utter_service_unavailable")
        return False, None

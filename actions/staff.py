"""What every staff action shares: the sender checked against the roles the action serves, a bank session, and
the service-unavailable reply when the bank cannot be read (like actions/client/wealth.py for clients)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.models import STAFF_ROLES

log = logging.getLogger(__name__)
LIST_LIMIT = 8


class StaffAction(Action, ABC):
    """An action for advisors and managers. `run` checks the sender, then calls `serve`; a database error
    anywhere in `serve` (or one of `unavailable_errors`) is logged and answered with utter_service_unavailable.

    Subclasses set `feature` (a refusal is recorded under it), and may narrow `roles` and override `refuse`
    (the reply to anyone else), `refused` and `failed` (the events after a refusal or a failure).
    """

    feature = ""
    roles: frozenset[str] = frozenset(STAFF_ROLES)
    unavailable_errors: tuple[type[Exception], ...] = (SQLAlchemyError,)

    @abstractmethod
    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        """Answer `viewer`, who may use this action."""

    def allows(self, who: Identity) -> bool:
        """Whether `who` may use this action."""
        return who.role in self.roles

    def refuse(self, dispatcher: CollectingDispatcher, who: Identity | None) -> None:
        """Tell an unregistered or non-staff sender why they cannot use this."""
        dispatcher.utter_message(response="utter_adv_unknown_sender" if who is None else "utter_adv_staff_only")

    def refused(self, tracker: Tracker, directory_down: bool) -> list[EventType]:
        """Events after the sender was refused (or could not be looked up)."""
        if self.feature:
            record_usage(tracker, self.feature, outcome="refused")
        return []

    def failed(self, tracker: Tracker) -> list[EventType]:
        """Events after the bank could not be read."""
        return []

    @staticmethod
    def session() -> AbstractContextManager[Session]:
        """A bank session, committed when the block ends without an error."""
        return session_scope()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ok, who = sender(dispatcher, tracker)
        if not ok:
            return self.refused(tracker, directory_down=True)
        if who is None or not self.allows(who):
            self.refuse(dispatcher, who)
            return self.refused(tracker, directory_down=False)
        try:
            return self.serve(dispatcher, tracker, who)
        except self.unavailable_errors as error:
            log.error("%s failed: %s", self.name(), type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return self.failed(tracker)


def name_list(names: list[str], limit: int = LIST_LIMIT) -> str:
    """Names joined with 、, cut after `limit` with a count.

    >>> name_list(["张伟", "王芳"]), name_list(["甲", "乙", "丙"], limit=2)
    ('张伟、王芳', '甲、乙等3位')
    """
    shown = "、".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}等{len(names)}位"


def replied_to(tracker: Tracker, action: str) -> bool:
    """Whether the user's latest message answers `action` (the last action before it, listening aside)."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in reversed(events[:max(last_user, 0)]):
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return bool(event.get("name") == action)
    return False

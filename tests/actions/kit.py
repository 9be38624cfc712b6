"""Building blocks for action unit tests (rasa-demo style): a Tracker and a CollectingDispatcher."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(sender_id: str, text: str = "你好", intent: str = "greet", *, slots: dict[str, Any] | None = None,
                 events: list[dict[str, Any]] | None = None, active_loop: str | None = None,
                 entities: list[dict[str, Any]] | None = None) -> Tracker:
    """A tracker whose latest message is `text` classified as `intent`."""
    return Tracker(
        sender_id=sender_id,
        slots={"role": None, "user_name": None, "requested_slot": None, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run_action(action: Any, tracker: Tracker, domain: dict[str, Any] | None = None
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run `action` and return (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return dispatcher.messages, events

"""Action unit tests in the rasa-demo style: a Tracker and a CollectingDispatcher, assertions on replies and events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import ActionRoleMenu
from actions.session import ActionSessionStart
from bank.directory import Identity


def make_tracker(sender_id: str, text: str = "你好", intent: str = "greet") -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots={"role": None, "user_name": None},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


@pytest.fixture
def bank_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    return demo_db_url


@pytest.fixture
def identities(bank_env: str, people: dict[str, Identity]) -> dict[str, Identity]:
    """The demo identities, with DATABASE_URL pointing the actions at the same demo bank."""
    return people


class TestActionRoleMenu:
    @pytest.mark.parametrize(
        ("role", "response"),
        [("advisor", "utter_greet_advisor"), ("manager", "utter_greet_manager"), ("client", "utter_greet_client")],
    )
    def test_known_sender_gets_the_menu_of_their_role_by_name(
        self, identities: dict[str, Identity], role: str, response: str
    ) -> None:
        person = identities[role]
        messages, events = run_action(ActionRoleMenu(), make_tracker(person.wecom_id))
        assert [m["response"] for m in messages] == [response]
        assert messages[0]["name"] == person.name
        assert SlotSet("role", role) in events
        assert SlotSet("user_name", person.name) in events

    def test_unknown_sender_gets_the_registration_hint(self, bank_env: str) -> None:
        messages, events = run_action(ActionRoleMenu(), make_tracker("nobody-we-know"))
        assert [m["response"] for m in messages] == ["utter_greet_unknown"]
        assert SlotSet("role", "unknown") in events

    def test_database_outage_is_not_mistaken_for_an_unknown_sender(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-dir/never/bank.db")
        messages, events = run_action(ActionRoleMenu(), make_tracker("A0101"))
        assert [m["response"] for m in messages] == ["utter_service_unavailable"]
        assert events == []


class TestActionSessionStart:
    def test_session_start_remembers_the_role(self, identities: dict[str, Identity]) -> None:
        person = identities["client"]
        _, events = run_action(ActionSessionStart(), make_tracker(person.wecom_id))
        assert events[0]["event"] == "session_started"
        assert SlotSet("role", "client") in events
        assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"

    def test_unknown_sender_session_is_marked_unknown(self, bank_env: str) -> None:
        _, events = run_action(ActionSessionStart(), make_tracker("stranger"))
        assert SlotSet("role", "unknown") in events

"""bot/server.py: Rasa creates the compiled remote action everywhere, and it accepts and refuses exactly what
`jsonschema.validate` does, with the same message."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import rasa.core.actions.action as rasa_action
import rasa.core.actions.forms as rasa_forms
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot import server

ANSWERS: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "role", "value": "advisor"}], "responses": [{"text": "好的"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {"responses": [{"response": "utter_greet", "buttons": [{"title": "是", "payload": "/affirm"}]}]},
    {},
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [{"event": "user", "text": None}]},
    {"events": [{"event": "bot", "text": "x", "timestamp": "yesterday"}]},
    {"events": [{"event": "no_such_event"}]},
]


def outcome(check: Any, answer: dict[str, Any]) -> str | None:
    try:
        check(answer)
    except jsonschema.ValidationError as error:
        return error.message
    return None


def test_install_makes_rasa_create_the_compiled_action() -> None:
    server.install()
    endpoint = EndpointConfig(url="http://127.0.0.1:1/webhook")
    action = rasa_action.action_for_name_or_text("action_show_client", Domain.from_dict({"actions": ["action_show_client"]}),
                                                  endpoint)
    assert type(action) is server.CompiledRemoteAction
    assert isinstance(action, server.RASA_REMOTE_ACTION)
    assert rasa_forms.RemoteAction is server.CompiledRemoteAction  # a form's validation action too
    server.install()  # twice is the same
    assert server.CompiledRemoteAction.__mro__[1] is server.RASA_REMOTE_ACTION


@pytest.mark.parametrize("answer", ANSWERS)
def test_the_compiled_check_agrees_with_jsonschema_validate(answer: dict[str, Any]) -> None:
    action = server.CompiledRemoteAction("action_show_client", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    original = server.RASA_REMOTE_ACTION("action_show_client", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    assert outcome(action._validate_action_result, answer) == outcome(original._validate_action_result, answer)


def test_a_wrong_answer_is_refused_with_rasas_hint() -> None:
    action = server.CompiledRemoteAction("action_show_client", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})
    assert action._validate_action_result({"events": [], "responses": []}) is True

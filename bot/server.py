"""The Rasa server as this project runs it: Rasa's own command line, with the action server's answers checked by a
validator compiled once.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate`, which first checks the *schema*
against its meta-schema, then builds a validator, on every call: under load that was 43 % of the Rasa process's
CPU (bench/bench_turn_profile.py; a turn runs one to three remote actions). `CompiledRemoteAction` is the one
documented subclass that changes this: the same schema (`RemoteAction.action_response_format_spec()`), the same
error (best match, with Rasa's own hint appended), one validator built when the module loads.

Rasa creates remote actions in two modules (`rasa.core.actions.action` for actions and `rasa.core.actions.forms`
for a form's validation action), each by the name `RemoteAction`; `install()` points both names at the subclass.
Nothing in the installed package is edited, and an instance still `isinstance(…, RemoteAction)`.

usage: python -m bot.server run --enable-api … (the arguments of `rasa`)
"""

from __future__ import annotations

import sys
from typing import Any

import jsonschema
import rasa.core.actions.action as rasa_action
import rasa.core.actions.forms as rasa_forms
from jsonschema.exceptions import best_match
from rasa.shared.constants import DOCS_BASE_URL

RASA_REMOTE_ACTION = rasa_action.RemoteAction
"""Rasa's own class (kept: `install()` may run more than once)."""

_SPEC = RASA_REMOTE_ACTION.action_response_format_spec()
_VALIDATOR_CLASS = jsonschema.validators.validator_for(_SPEC)
_VALIDATOR_CLASS.check_schema(_SPEC)  # once, not on every answer
VALIDATOR = _VALIDATOR_CLASS(_SPEC)
"""The validator of the action server's answers, as `jsonschema.validate` would build it on each call."""


class CompiledRemoteAction(RASA_REMOTE_ACTION):  # type: ignore[misc,valid-type]
    """Rasa's RemoteAction, checking the action server's answer with the validator built once."""

    def _validate_action_result(self, result: dict[str, Any]) -> bool:
        error = best_match(VALIDATOR.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True


def install() -> None:
    """Make Rasa create `CompiledRemoteAction` wherever it creates a RemoteAction."""
    rasa_action.RemoteAction = CompiledRemoteAction
    rasa_forms.RemoteAction = CompiledRemoteAction


def main(argv: list[str] | None = None) -> None:
    """Rasa's command line (`rasa run …`), after `install()`."""
    from rasa.__main__ import main as rasa_main

    install()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()

"""The action server registers exactly the custom actions the domain names, by walking the actions package."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[2]


def test_every_domain_action_is_registered_and_nothing_else() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")  # what `rasa_sdk --actions actions` does
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    custom = {name for name in domain["actions"] if name.startswith(("action_", "validate_"))}
    assert custom and set(executor.actions) == custom

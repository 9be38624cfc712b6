"""Helpers for conversation tests: send a message over the REST channel, read the domain's response texts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.servers import Service, post_json

ROOT = Path(__file__).resolve().parents[2]


@cache
def responses() -> dict[str, list[str]]:
    """Every response key of domain.yml with its text variants."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {key: [variant["text"] for variant in variants] for key, variants in domain["responses"].items()}


Say = Callable[[str, str], list[str]]


@pytest.fixture(scope="session")
def say(rasa_server: Service) -> Say:
    """say(sender, text) -> the texts the bot answered, in order."""

    def _say(sender: str, text: str) -> list[str]:
        answer = post_json(f"{rasa_server.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert isinstance(answer, list)
        return [item.get("text", "") for item in answer]

    return _say


@pytest.fixture
def stranger() -> str:
    """A sender id the bank has never seen (fresh each test, so conversations don't mix)."""
    return f"stranger-{uuid.uuid4().hex[:8]}"

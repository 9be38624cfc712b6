"""Helpers for conversation tests: send a message over the REST channel, read the domain's response texts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers import Service, post_json, start_web

ROOT = Path(__file__).resolve().parents[2]


@cache
def responses() -> dict[str, list[str]]:
    """Every response key of the domain (domain.yml) with its text variants."""
    found: dict[str, list[str]] = {}
    for path in (ROOT / "domain.yml",):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, variants in (domain.get("responses") or {}).items():
            found[key] = [variant.get("text", "") for variant in variants]
    return found


Say = Callable[[str, str], list[str]]
Chat = Callable[[str, str], list[dict[str, Any]]]


def said(key: str, **values: Any) -> str:
    """The first text variant of the domain response `key`, filled with `values`."""
    text = responses()[key][0]
    return text.format(**values) if values else text


def texts(answer: list[dict[str, Any]]) -> list[str]:
    """The texts of a full answer, in order (images, buttons-only and custom items left out)."""
    return [m["text"] for m in answer if m.get("text")]


@pytest.fixture(scope="session")
def chat(rasa_server: Service) -> Chat:
    """chat(sender, text) -> every message the bot sent back (text, image, buttons, custom)."""

    def _chat(sender: str, text: str) -> list[dict[str, Any]]:
        answer = post_json(f"{rasa_server.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert isinstance(answer, list)
        return answer

    return _chat


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


@pytest.fixture
def visitor() -> str:
    """A sender the bank does not know (行外客户), fresh per test."""
    return f"visitor-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def web(demo_db_url: str) -> Iterator[Service]:
    """The real web app on the session's demo bank, to open the links the bot sends (proposals, charts)."""
    service = start_web(env={"DATABASE_URL": demo_db_url})
    yield service
    service.stop()

"""A fake WeCom API per test module and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wecom_peer.fake_api import FakeWeCom
from wecom.settings import WeComSettings
from wecom.store import MemoryStore

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeCom]:
    server = FakeWeCom().start()
    yield server
    server.stop()


@pytest.fixture()
def settings(fake: FakeWeCom) -> WeComSettings:
    fake.reset()
    return WeComSettings(corp_id=fake.corp_id, secret="app-secret", token="tok", aes_key=AES_KEY, agent_id=1000002,
                         api_base=fake.api_base)


@pytest.fixture()
def store() -> MemoryStore:
    return MemoryStore()

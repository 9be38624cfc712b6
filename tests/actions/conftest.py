"""Fixtures for the action tests: private bank copies (tests/demo_staff.py), a private knowledge index, the
WECOM_* settings cleared or pointed at a fake WeCom API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.actions.wecom_env import wecom_env
from tests.demo_staff import *  # noqa: F403  (sessions over the demo bank, the demo staff, index_dir)
from tests.services.push_cast import Cast, prepare
from tests.wecom_peer.fake_api import FakeWeCom

WECOM_NAMES = ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_AGENT_ID", "WECOM_KF_SECRET",
               "WECOM_API_BASE", "WECOM_KF_OPEN_KFID")



@pytest.fixture
def bank_env(bank_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Actions read a private bank copy; WeCom is not configured (messages wait in the outbox)."""
    monkeypatch.setenv("DATABASE_URL", bank_url)
    for name in WECOM_NAMES:
        monkeypatch.delenv(name, raising=False)
    return bank_url


@pytest.fixture
def env(bank_env: str, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`bank_env` plus a private copy of the knowledge index."""
    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(index_dir))
    return bank_env


@pytest.fixture
def push_cast(bank_env: str) -> Cast:
    """The advisor and clients of the push tests (tests/services/push_cast.py), in the private bank."""
    return prepare(bank_env)


@pytest.fixture
def fake_wecom(env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    for name, value in wecom_env(fake).items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()

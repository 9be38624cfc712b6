"""Fixtures for the shared actions: the demo bank and the knowledge index, as the action server would see them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wecom_peer.fake_api import FakeWeCom


@pytest.fixture
def action_env(demo_db_url: str, knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point actions at the session's demo bank and knowledge copy, with WeCom not configured."""
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(knowledge_dir))
    for name in ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_KF_SECRET", "WECOM_API_BASE", "WECOM_KF_OPEN_KFID"):
        monkeypatch.delenv(name, raising=False)
    return demo_db_url


@pytest.fixture
def fake_wecom(action_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeCom]:
    """A fake WeCom API, with the environment that makes actions/notify.py send through it."""
    fake = FakeWeCom().start()
    env = {"WECOM_CORP_ID": fake.corp_id, "WECOM_SECRET": "app-secret", "WECOM_TOKEN": "token",
           "WECOM_AES_KEY": "a" * 43, "WECOM_AGENT_ID": "1000002", "WECOM_KF_SECRET": "kf-secret",
           "WECOM_API_BASE": fake.api_base, "WECOM_KF_OPEN_KFID": "wkTESTKF"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()

"""One fake WeCom API, one action server and one Rasa with both WeCom channels, shared by this package."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.domain_texts import responses as all_responses
from tests.servers import LOGS, Service, start_action_server, start_rasa, start_sender
from tests.wecom_peer.fake_api import FakeWeCom
from tests.wecom_peer.simulator import CallbackSimulator

ROOT = Path(__file__).resolve().parents[3]
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TOKEN = "QDG6eKtest"
CORP_ID = "wwfakecorp"
OPEN_KFID = "wkFAKEKF01"

CREDENTIALS = """rest:
bot.channels.wecom.WeComInput:
  template_cards: true
bot.channels.wecom_kf.WeComKfInput:
"""


@dataclass
class Stack:
    """Everything an end-to-end test needs."""

    fake: FakeWeCom
    rasa: Service
    sender: Service
    database_url: str
    app: CallbackSimulator
    kf: CallbackSimulator
    state_dir: Path
    log_path: Path


def responses(key: str) -> list[str]:
    return all_responses()[key]


def wecom_env(fake: FakeWeCom, state_dir: Path, database_url: str = "") -> dict[str, str]:
    """WeCom settings pointing at the fake API; the channels store messages in the bank at `database_url`."""
    return {"WECOM_CORP_ID": fake.corp_id, "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret",
            "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_KF_SECRET": "kf-secret",
            "WECOM_API_BASE": fake.api_base, "WECOM_STATE_DIR": str(state_dir), "WECOM_KF_OPEN_KFID": OPEN_KFID,
            "DATABASE_URL": database_url, "WECOM_INBOX_POLL_S": "0.2", "WECOM_INBOX_RETRY_S": "1"}


def build_demo_bank(directory: Path) -> str:
    url = f"sqlite:///{directory / 'bank.db'}"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bank", "demo", "--seed", "7",
                    "--today", "2026-11-28"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL)
    return url


def migrated_bank(directory: Path) -> str:
    """An empty bank database at the current schema (migrated by the main environment, as `make` does)."""
    url = f"sqlite:///{directory / 'bank.db'}"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bank", "migrate"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url}, check=True, stdout=subprocess.DEVNULL)
    return url


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("wecom")
    fake = FakeWeCom(corp_id=CORP_ID).start()
    database_url = build_demo_bank(work)
    env = wecom_env(fake, work / "state", database_url)
    actions = start_action_server(env={"DATABASE_URL": database_url})
    credentials = work / "credentials.yml"
    credentials.write_text(CREDENTIALS, encoding="utf-8")
    rasa = sender = None
    try:
        sender = start_sender(env=env)
        rasa = start_rasa(credentials=credentials, action_url=actions.url, workdir=work, env=env)
        port = rasa.url.rsplit(":", 1)[1]
        yield Stack(
            fake=fake, rasa=rasa, sender=sender, database_url=database_url,
            app=CallbackSimulator(rasa.url + "/webhooks/wecom/", TOKEN, AES_KEY, CORP_ID),
            kf=CallbackSimulator(rasa.url + "/webhooks/wecom_kf/", TOKEN, AES_KEY, CORP_ID),
            state_dir=work / "state", log_path=LOGS / f"rasa-{port}.log",
        )
    finally:
        if rasa is not None:
            rasa.stop()
        if sender is not None:
            sender.stop()
        actions.stop()
        fake.stop()

"""One fake WeCom API, one action server and one Rasa with both WeCom channels, shared by this package."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers import LOGS, Service, start_action_server, start_rasa
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
    app: CallbackSimulator
    kf: CallbackSimulator
    state_dir: Path
    log_path: Path


def responses(key: str) -> list[str]:
    for path in (ROOT / "domain.yml",):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if key in (domain.get("responses") or {}):
            return [item["text"] for item in domain["responses"][key]]
    raise KeyError(key)


def wait_for(condition: Callable[[], Any], timeout_s: float = 60.0, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy; fail with `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wecom_env(fake: FakeWeCom, state_dir: Path) -> dict[str, str]:
    return {"WECOM_CORP_ID": fake.corp_id, "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret",
            "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_KF_SECRET": "kf-secret",
            "WECOM_API_BASE": fake.api_base, "WECOM_STATE_DIR": str(state_dir)}


def build_demo_bank(directory: Path) -> str:
    url = f"sqlite:///{directory / 'bank.db'}"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bank", "demo", "--seed", "7",
                    "--today", "2026-11-28"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL)
    return url


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("wecom")
    fake = FakeWeCom(corp_id=CORP_ID).start()
    actions = start_action_server(env={"DATABASE_URL": build_demo_bank(work)})
    credentials = work / "credentials.yml"
    credentials.write_text(CREDENTIALS, encoding="utf-8")
    rasa = None
    try:
        rasa = start_rasa(credentials=credentials, action_url=actions.url, workdir=work,
                          env=wecom_env(fake, work / "state"))
        port = rasa.url.rsplit(":", 1)[1]
        yield Stack(
            fake=fake, rasa=rasa,
            app=CallbackSimulator(rasa.url + "/webhooks/wecom/", TOKEN, AES_KEY, CORP_ID),
            kf=CallbackSimulator(rasa.url + "/webhooks/wecom_kf/", TOKEN, AES_KEY, CORP_ID),
            state_dir=work / "state", log_path=LOGS / f"rasa-{port}.log",
        )
    finally:
        if rasa is not None:
            rasa.stop()
        actions.stop()
        fake.stop()

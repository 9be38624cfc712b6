"""The whole path on loopback for the fault tests, every part a real process that a test may kill and start:
PostgreSQL (the bank, inbox and outbox), Redis (WeCom's token cache), the fake WeCom API, the action server,
the sender worker and Rasa with both WeCom channels. Outage lengths and retry timings are short settings so
that the suite runs in a few minutes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.services import Service, write_endpoints
from tests.postgres import PostgresServer
from tests.servers import LOGS, free_port, start_action_server, start_rasa, start_sender
from tests.wecom_peer.fake_api import FakeWeCom
from tests.wecom_peer.simulator import CallbackSimulator

ROOT = Path(__file__).resolve().parents[2]
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TOKEN = "QDG6eKfault"
OPEN_KFID = "wkFAULTKF1"
CRASH_BEFORE_REPLIES = ("crashturn", "35岁")
"""Rasa dies after the turn of this message from a sender whose id starts so, before storing its replies
(bot/channels/_worker.py, FAULT_CRASH_BEFORE_REPLIES_TO)."""
TODAY = dt.date(2026, 11, 28)
CREDENTIALS = "bot.channels.wecom.WeComInput:\nbot.channels.wecom_kf.WeComKfInput:\n"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

# Short timings: a message kept for later is retried within a second or two; a dead worker's lease runs out
# in a few seconds; the sender backs off from 0.2 s up to 2 s.
TIMINGS = {"WECOM_INBOX_POLL_S": "0.2", "WECOM_INBOX_LEASE_S": "6", "WECOM_INBOX_RETRY_S": "1",
           "OUTBOX_POLL_S": "0.1", "OUTBOX_LISTEN_S": "0.5", "OUTBOX_BACKOFF_BASE_S": "0.2",
           "OUTBOX_BACKOFF_CAP_S": "2",
           "OUTBOX_LEASE_S": "8", "OUTBOX_MAX_ATTEMPTS": "40"}


class RedisServer:
    """redis-server on a free loopback port, without persistence, that can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.fail("redis-server is missing: run `make setup-test-system` (apt-get install redis-server)")
        self.workdir, self.port = workdir, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class FaultStack:
    """Every part, and how to reach it."""

    postgres: PostgresServer
    redis: RedisServer
    fake: FakeWeCom
    env: dict[str, str]
    actions: Service
    sender: Service
    rasa: Service
    app: CallbackSimulator
    kf: CallbackSimulator
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def bank_url(self) -> str:
        return self.postgres.url

    def restart_actions(self, **extra: str) -> None:
        """A new action server on the same port (with extra environment, e.g. a fault to inject)."""
        port = int(self.actions.url.rsplit(":", 1)[1])
        self.actions.stop()
        self.actions = start_action_server(env={**self.env, **extra}, port=port)

    def texts_to(self, user: str, path: str = "message/send") -> list[str]:
        """What `user` received, as text (cards by their title or description), in order."""
        texts = []
        for body in self.fake.sent(path, to=user):
            kind = body.get("msgtype")
            if kind == "text":
                texts.append(str(body["text"]["content"]))
            elif kind == "msgmenu":
                texts.append(str(body["msgmenu"].get("head_content", "")))
            elif kind in ("textcard", "link"):
                texts.append(str(body[kind].get("title", "")))
            elif kind == "template_card":
                card = body["template_card"]
                texts.append(str(card.get("main_title", {}).get("title", "")) + str(card.get("sub_title_text", "")))
            else:
                texts.append(f"[{kind}]")
        return texts

    def record(self, scenario: str, saw: list[str], lost: int, doubled: int, recovered_s: float) -> None:
        """One row of the fault table (printed at the end of the run, and in test-output/fault-table.md)."""
        shown = " / ".join(text.replace("\n", " ")[:18] for text in saw) or "(nothing)"
        self.rows.append({"scenario": scenario, "saw": shown, "lost": str(lost), "doubled": str(doubled),
                          "recovered": f"{recovered_s:.1f} s"})


@contextlib.contextmanager
def fault_stack(work: Path) -> Iterator[FaultStack]:
    postgres = PostgresServer()
    redis = fake = actions = sender = rasa = None
    stack: FaultStack | None = None
    try:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bank", "demo", "--seed", "7", "--today",
                        TODAY.isoformat()], cwd=ROOT, env={**os.environ, "DATABASE_URL": postgres.url}, check=True,
                       stdout=subprocess.DEVNULL)
        redis = RedisServer(work)
        fake = FakeWeCom(corp_id="wwfaultcorp").start()
        env = {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "WECOM_CORP_ID": fake.corp_id,
               "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret", "WECOM_TOKEN": TOKEN,
               "WECOM_AES_KEY": AES_KEY, "WECOM_KF_SECRET": "kf-secret", "WECOM_API_BASE": fake.api_base,
               "WECOM_KF_OPEN_KFID": OPEN_KFID, "WECOM_STATE_DIR": str(work / "state"), "LOG_FORMAT": "json",
               **TIMINGS}
        actions = start_action_server(env=env)
        sender = start_sender(env=env, name="fault-sender")
        credentials = work / "credentials.yml"
        credentials.write_text(CREDENTIALS, encoding="utf-8")
        # Conversations in an SQL tracker store, as in production: a restarted Rasa continues them.
        endpoints = write_endpoints(work / "endpoints.yml", actions.url, tracker_db=work / "tracker.db")
        rasa = start_rasa(credentials=credentials, endpoints=endpoints, workdir=work,
                          env={**env, "FAULT_CRASH_BEFORE_REPLIES_TO": ":".join(CRASH_BEFORE_REPLIES)})
        app = CallbackSimulator(rasa.url + "/webhooks/wecom/", TOKEN, AES_KEY, fake.corp_id, retry_delay_s=2.0,
                                attempts=4)
        kf = CallbackSimulator(rasa.url + "/webhooks/wecom_kf/", TOKEN, AES_KEY, fake.corp_id, retry_delay_s=2.0,
                               attempts=4)
        stack = FaultStack(postgres, redis, fake, env, actions, sender, rasa, app, kf)
        yield stack
        (LOGS.parent / "fault-table.md").write_text(fault_table(stack.rows) + "\n", encoding="utf-8")
    finally:
        # The stack's own: a test may have restarted the action server (restart_actions) or Rasa.
        running = (stack.rasa, stack.sender, stack.actions) if stack is not None else (rasa, sender, actions)
        for service in running:
            if service is not None:
                service.stop()
        if fake is not None:
            fake.stop()
        if redis is not None:
            redis.stop()
        postgres.remove()


def fault_table(rows: list[dict[str, str]]) -> str:
    """The fault table as Markdown: scenario → what the user saw → lost → doubled → time to recover."""
    lines = ["| scenario | what the user saw | lost | doubled | recovered in |", "|---|---|---|---|---|"]
    lines += [f"| {r['scenario']} | {r['saw']} | {r['lost']} | {r['doubled']} | {r['recovered']} |" for r in rows]
    return "\n".join(lines)

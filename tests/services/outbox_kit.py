"""What the outbox and route tests share: a fake WeCom API the worker is pointed at, a private demo bank, and
helpers to enqueue messages, store client messages in the inbox and run passes with a moving clock."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Client, InboxMessage, Notification, Staff
from bank.notifications import add_notification
from services.outbox import Outbox, PassReport
from services.settings import Settings
from tests.actions.wecom_env import wecom_env
from tests.wecom_peer.fake_api import FakeWeCom

T0 = dt.datetime(2026, 12, 1, 10, 0)
WECOM_NAMES = ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_AGENT_ID", "WECOM_KF_SECRET",
               "WECOM_API_BASE", "WECOM_KF_OPEN_KFID", "WECOM_KF_TOKEN", "WECOM_KF_AES_KEY", "REDIS_URL")


@pytest.fixture
def fake(bank_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeCom]:
    """A fake WeCom API; the WECOM_* settings and DATABASE_URL (a private demo bank) point at it."""
    api = FakeWeCom().start()
    for name in WECOM_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in wecom_env(api).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", bank_url)
    yield api
    api.stop()


def worker(url: str, **settings: Any) -> Outbox:
    """A sender over `url` with quick retries (tests override more through `settings`)."""
    values: dict[str, Any] = {"outbox_backoff_base_s": 0.5, "outbox_backoff_cap_s": 2.0, **settings}
    return Outbox(Settings(**values), url, rng=random.Random(7))


def enqueue(url: str, recipient: str, text: str, **options: Any) -> int:
    with session_scope(url) as session:
        return add_notification(session, recipient, text, now=T0, **options).id


def client_wrote(url: str, external_userid: str, at: dt.datetime) -> None:
    """The client sent us a 微信客服 message at `at` (as the channel stores it in the inbox)."""
    with session_scope(url) as session:
        session.add(InboxMessage(channel="kf", message_id=uuid.uuid4().hex, sender=external_userid, text="在吗",
                                 received_at=at, state="done", attempts=1))


def clients_of(url: str, count: int = 2) -> list[tuple[str, str]]:
    """(external userid, advisor's userid) of clients with WeCom ids, the first advisor's clients first."""
    with session_scope(url) as session:
        rows = session.execute(select(Client.wecom_external_userid, Staff.wecom_userid)
                               .join(Staff, Client.advisor_id == Staff.id)
                               .where(Client.wecom_external_userid.is_not(None))
                               .order_by(Staff.id, Client.id)).tuples().all()
    return [(str(external), advisor) for external, advisor in rows[:count]]


def row(url: str, note_id: int) -> Notification:
    with session_scope(url) as session:
        note = session.get(Notification, note_id)
        assert note is not None
        return note


def states(url: str, ids: list[int]) -> list[str]:
    return [row(url, note_id).state for note_id in ids]


def drain(sender: Outbox, start: dt.datetime = T0, step_s: float = 1.0, passes: int = 60) -> list[PassReport]:
    """Passes with the clock moving `step_s` each time, until one does nothing and no message waits for a
    retry (pending messages behind a held one may remain)."""
    reports: list[PassReport] = []
    for index in range(passes):
        report = sender.run_once(start + dt.timedelta(seconds=index * step_s))
        reports.append(report)
        if not report.busy and not retrying(str(sender.url)):
            break
    return reports


def retrying(url: str) -> int:
    """Pending messages with a time to look again (a retry, a postponement)."""
    with session_scope(url) as session:
        return len(session.scalars(select(Notification.id).where(
            Notification.state == "pending", Notification.next_attempt_at.is_not(None))).all())


def texts(bodies: list[dict[str, Any]]) -> list[str]:
    """The text of each body (app and 微信客服 text messages)."""
    return [str(body.get("text", {}).get("content", "")) for body in bodies]

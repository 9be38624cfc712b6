"""The sender worker against the fake WeCom API and a private demo bank: retries, dead letters, two workers,
images, the per-member rate, the operator commands and the process itself."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bank.db import session_scope
from bank.models import Notification, Staff
from services import outbox as outbox_cli
from services.dashboard import team_dashboard
from services.notify import notify
from services.outbox import backoff_delay
from tests.services.outbox_kit import (
    T0,
    client_wrote,
    clients_of,
    drain,
    enqueue,
    fake,
    row,
    states,
    texts,
    worker,
)
from tests.wecom_peer.fake_api import FakeWeCom

__all__ = ["fake"]  # fixture
ROOT = Path(__file__).resolve().parents[2]


class TestBackoff:
    def test_ceiling_doubles_from_the_base_up_to_the_cap(self) -> None:
        rng = random.Random(1)
        ceilings = [max(backoff_delay(n, 1.0, 30.0, rng) for _ in range(400)) for n in range(1, 9)]
        for got, ceiling in zip(ceilings, [1, 2, 4, 8, 16, 30, 30, 30], strict=True):
            assert 0.9 * ceiling <= got <= ceiling  # the whole range is used, never beyond it

    def test_full_jitter_spreads_down_to_zero(self) -> None:
        rng = random.Random(2)
        samples = [backoff_delay(5, 1.0, 300.0, rng) for _ in range(400)]
        assert min(samples) < 1.0 and all(0.0 <= s <= 16.0 for s in samples)
        assert len({round(s, 3) for s in samples}) > 300  # jittered, not a fixed sequence

    def test_attempts_count_from_one(self) -> None:
        with pytest.raises(ValueError, match="attempt"):
            backoff_delay(0, 1.0, 10.0)


class TestDelivery:
    def test_after_5xx_rate_limits_and_token_expiry_every_message_arrives_once_in_order(
            self, fake: FakeWeCom, bank_url: str) -> None:
        (client, _advisor), = clients_of(bank_url, 1)
        client_wrote(bank_url, client, T0 - dt.timedelta(minutes=5))
        people = ["zhangmin", "liqiang", client]
        ids = {who: [enqueue(bank_url, who, f"{who}-第{n}条") for n in range(1, 4)] for who in people}
        sender = worker(bank_url)
        fake.inject("message/send", 500, 45009, 502, 42001, 42001, 42001, 503)
        fake.inject("kf/send_msg", 45009, 503, 42001, 42001)
        drain(sender)
        sender.close()
        for who in people:
            path = "kf/send_msg" if who == client else "message/send"
            assert texts(fake.sent(path, to=who)) == [f"{who}-第{n}条" for n in (1, 2, 3)]
            assert states(bank_url, ids[who]) == ["sent"] * 3
        attempts = [row(bank_url, i).attempts for who in people for i in ids[who]]
        assert sum(attempts) >= len(attempts) + 7  # every injected fault was met and cost an attempt

    def test_a_non_retryable_error_is_dead_with_its_reason_and_resend_sends_it(
            self, fake: FakeWeCom, bank_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        sender = worker(bank_url)
        fake.inject("message/send", 60020)
        note_id = enqueue(bank_url, "zhangmin", "不会重试的消息")
        assert sender.run_once(T0).ids("dead") == [note_id]
        note = row(bank_url, note_id)
        assert note.state == "dead" and "60020" in (note.error or "") and note.attempts == 1
        assert sender.run_once(T0 + dt.timedelta(hours=1)).outcomes == []  # dead stays dead
        assert outbox_cli.main(["dead"]) == 0
        listed = capsys.readouterr().out
        assert "zh****in" in listed and "zhangmin" not in listed and "60020" in listed
        assert outbox_cli.main(["resend", str(note_id)]) == 0
        assert sender.run_once(T0 + dt.timedelta(hours=1)).ids("sent") == [note_id]
        sender.close()
        assert texts(fake.sent(to="zhangmin")) == ["不会重试的消息"]

    def test_too_many_attempts_make_it_dead_and_drop_refuses_it_afterwards(
            self, fake: FakeWeCom, bank_url: str) -> None:
        sender = worker(bank_url, outbox_max_attempts=3)
        fake.inject("message/send", 500, 500, 500, 500)
        note_id = enqueue(bank_url, "zhangmin", "一直失败")
        drain(sender)
        sender.close()
        note = row(bank_url, note_id)
        assert note.state == "dead" and note.attempts == 3 and note.error and note.error.startswith("3次尝试均失败")
        assert fake.sent(to="zhangmin") == []
        assert outbox_cli.main(["drop", str(note_id)]) == 0 and row(bank_url, note_id).state == "dropped"
        assert outbox_cli.main(["drop", str(note_id)]) == 1

    def test_two_workers_racing_never_send_a_message_twice(self, fake: FakeWeCom, bank_url: str) -> None:
        people = [f"staff{n:02d}" for n in range(8)]
        expected = {f"{who}-{n}" for who in people for n in range(3)}
        for text in sorted(expected):
            enqueue(bank_url, text.split("-")[0], text)
        workers = [worker(bank_url), worker(bank_url)]
        start = threading.Barrier(2)

        def passes(sender: outbox_cli.Outbox) -> None:
            for index in range(6):
                start.wait()
                sender.run_once(T0 + dt.timedelta(seconds=index))

        threads = [threading.Thread(target=passes, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        for sender in workers:
            sender.close()
        delivered = Counter(texts(fake.sent("message/send")))
        assert set(delivered) == expected and max(delivered.values()) == 1
        for who in people:  # and in order per person
            assert texts(fake.sent(to=who)) == [f"{who}-{n}" for n in range(3)]

    def test_an_image_given_by_url_is_uploaded_then_sent(self, fake: FakeWeCom, bank_url: str) -> None:
        note_id = enqueue(bank_url, "zhangmin", "[图片]", path="message/send",
                          payload={"msgtype": "image", "image": {"url": fake.url + "/image.png"}})
        sender = worker(bank_url)
        assert sender.run_once(T0).ids("sent") == [note_id]
        sender.close()
        assert [r.path for r in fake.received if r.path != "gettoken"] == ["media/upload", "message/send"]
        body = fake.sent(to="zhangmin")[0]
        assert body["msgtype"] == "image" and body["image"]["media_id"].startswith("MEDIA")
        assert body["agentid"] == 1000002 and "url" not in body["image"]

    def test_the_per_member_rate_holds_the_excess_back_without_spending_attempts(
            self, fake: FakeWeCom, bank_url: str) -> None:
        ids = [enqueue(bank_url, "zhangmin", f"第{n}条") for n in range(5)]
        sender = worker(bank_url, outbox_app_per_minute=3)
        sender.run_once(T0)
        assert texts(fake.sent(to="zhangmin")) == ["第0条", "第1条", "第2条"]
        assert [row(bank_url, i).attempts for i in ids[3:]] == [0, 0] and states(bank_url, ids[3:]) == ["pending"] * 2
        sender.run_once(T0 + dt.timedelta(seconds=30))
        assert len(fake.sent(to="zhangmin")) == 3
        drain(sender, T0 + dt.timedelta(seconds=61))
        sender.close()
        assert texts(fake.sent(to="zhangmin")) == [f"第{n}条" for n in range(5)]


class TestWithoutWeCom:
    def test_messages_wait_pending_without_spending_attempts(
            self, fake: FakeWeCom, bank_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_KF_SECRET"):
            monkeypatch.delenv(name)
        note_id = enqueue(bank_url, "zhangmin", "等待配置")
        sender = worker(bank_url)
        assert not sender.run_once(T0).busy
        sender.close()
        note = row(bank_url, note_id)
        assert (note.state, note.attempts, note.next_attempt_at) == ("pending", 0, None)
        assert fake.received == []

    def test_notify_only_stores(self, fake: FakeWeCom, bank_url: str) -> None:
        note_id = notify("zhangmin", "客户确认了组合", card={"title": "订单通知", "url": "http://x/p"}, priority=0)
        assert note_id is not None and fake.received == []
        note = row(bank_url, note_id)
        assert (note.state, note.priority, note.sent_at) == ("pending", 0, None)


class TestProcess:
    def test_run_sends_and_stops_cleanly_on_sigterm(self, fake: FakeWeCom, bank_url: str) -> None:
        note_id = enqueue(bank_url, "zhangmin", "进程发送")
        process = subprocess.Popen([sys.executable, "-m", "services.outbox", "run"], cwd=ROOT, env=dict(os.environ),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert fake.wait_sent("message/send", "zhangmin", 1, timeout_s=30) is not None
            deadline = time.monotonic() + 10
            while row(bank_url, note_id).state != "sent" and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=15)
        finally:
            process.kill()
        assert process.returncode == 0, output
        assert row(bank_url, note_id).state == "sent" and "outbox sender stopped" in output
        assert "zhangmin" not in output and "进程发送" not in output  # masked ids, no contents
        with session_scope(bank_url) as session:
            assert session.scalars(select(Notification.id).where(Notification.state == "pending")).all() == []


class TestDashboard:
    def test_the_managers_dashboard_shows_the_teams_dead_letters_masked_with_their_reason(
            self, fake: FakeWeCom, bank_url: str) -> None:
        with session_scope(bank_url) as session:
            manager = session.scalars(select(Staff).where(Staff.wecom_userid == "chenjing")).one()
            outsider = session.scalars(select(Staff).where(Staff.team_id != manager.team_id)).first()
            assert outsider is not None
            manager_id, outsider_id = manager.id, outsider.wecom_userid
        fake.inject("message/send", 60020, 60020)
        mine, theirs = enqueue(bank_url, "zhangmin", "本队死信"), enqueue(bank_url, outsider_id, "别队死信")
        sender = worker(bank_url)
        sender.run_once(T0)
        sender.close()
        assert states(bank_url, [mine, theirs]) == ["dead", "dead"]
        with session_scope(bank_url) as session:
            dead = team_dashboard(session, manager_id, T0.date(), T0.date())["dead_letters"]
        assert dead["count"] == 1 and [d["id"] for d in dead["latest"]] == [mine]
        assert dead["latest"][0]["recipient"] == "zh****in" and "60020" in dead["latest"][0]["reason"]

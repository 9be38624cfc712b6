"""The scheduler with a controlled clock, the outbox and the fake WeCom API: the briefing arrives once at its time,
nothing twice after a restart mid-run or with a second scheduler, a missed morning caught up once within the grace
period, the advisor's own time and pause honoured; the APScheduler triggers, the process and `make run`."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import JobRun, Notification, Reminder, Staff
from bank.preferences import pause_briefing, set_briefing_time
from services import briefing_job
from services.scheduler import Scheduler
from services.settings import Settings
from tests.services.briefing_seed import AT, Seeded, seed
from tests.services.outbox_kit import drain, fake, worker
from tests.wecom_peer.fake_api import FakeWeCom

__all__ = ["fake"]  # fixture
ROOT = Path(__file__).resolve().parents[2]
ADVISORS = 7  # in the demo bank


@pytest.fixture
def seeded(bank_url: str) -> Seeded:
    return seed(bank_url)


def scheduler(url: str, **settings: object) -> Scheduler:
    return Scheduler(Settings(**settings), url)  # type: ignore[arg-type]


def briefings(url: str, recipient: str | None = None) -> list[Notification]:
    with session_scope(url) as session:
        query = select(Notification).where(Notification.kind == "briefing")
        if recipient:
            query = query.where(Notification.recipient == recipient)
        return list(session.scalars(query.order_by(Notification.id)))


def per_advisor(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return dict(session.execute(select(Notification.recipient, func.count()).where(Notification.kind == "briefing")
                                    .group_by(Notification.recipient)).tuples().all())


class TestAtItsTime:
    def test_enqueued_once_at_its_time_and_delivered_once_with_the_seeded_sections(
            self, fake: FakeWeCom, bank_url: str, seeded: Seeded) -> None:
        jobs = scheduler(bank_url)
        assert jobs.fire("briefing", AT - dt.timedelta(minutes=5)).sent == []
        assert len(jobs.fire("briefing", AT).sent) == ADVISORS
        assert jobs.fire("briefing", AT + dt.timedelta(minutes=5)).sent == []
        sender = worker(bank_url)
        drain(sender, start=AT)
        sender.close()
        received = fake.sent("message/send", to="zhangmin")
        assert len(received) == 1 and received[0]["msgtype"] == "markdown"
        content = received[0]["markdown"]["content"]
        assert len(content.encode()) <= 2048 and "/briefing?day=2026-12-01" in content
        for key, (_client_id, name) in seeded.clients.items():
            assert name in content, key
        assert all(len(fake.sent("message/send", to=userid)) == 1 for userid in per_advisor(bank_url))

    def test_reminders_record_each_client_line_once(self, bank_url: str, seeded: Seeded) -> None:
        scheduler(bank_url).fire("briefing", AT)
        with session_scope(bank_url) as session:
            kinds = {(r.client_id, r.kind) for r in session.scalars(
                select(Reminder).where(Reminder.advisor_id == seeded.advisor_id))}
        assert {(client_id, key) for key, (client_id, _) in seeded.clients.items()} <= kinds

    def test_nothing_on_a_weekend_or_when_the_job_is_off(self, bank_url: str, seeded: Seeded) -> None:
        saturday = dt.datetime(2026, 12, 5, 8, 30)
        assert scheduler(bank_url).fire("briefing", saturday).sent == []
        reports = scheduler(bank_url, briefing_enabled=False).catch_up(AT)
        assert "briefing" not in {report.job for report in reports}
        assert briefings(bank_url) == []


class TestNothingTwice:
    def test_a_restart_in_the_middle_of_a_run_sends_the_rest_once(
            self, bank_url: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
        real = briefing_job.add_notification
        calls = {"n": 0}

        def crash_on_the_fourth(*args: object, **kwargs: object) -> Notification:
            calls["n"] += 1
            if calls["n"] == 4:
                raise RuntimeError("killed")
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(briefing_job, "add_notification", crash_on_the_fourth)
        assert scheduler(bank_url).fire("briefing", AT).sent == []  # the failed run reports nothing
        assert sum(per_advisor(bank_url).values()) == 3
        monkeypatch.setattr(briefing_job, "add_notification", real)
        again = scheduler(bank_url).catch_up(AT + dt.timedelta(minutes=7))
        assert len(again[0].sent) == ADVISORS - 3 and len(again[0].already_done) == 3
        assert per_advisor(bank_url) == dict.fromkeys(per_advisor(bank_url), 1) and len(per_advisor(bank_url)) == ADVISORS

    def test_a_second_scheduler_that_read_before_the_first_committed_sends_nothing(
            self, bank_url: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
        first = scheduler(bank_url).fire("briefing", AT)
        monkeypatch.setattr(briefing_job, "done_for", lambda *args, **kwargs: set())  # saw nothing done yet
        second = scheduler(bank_url).fire("briefing", AT)
        assert len(first.sent) == ADVISORS and second.sent == [] and len(second.already_done) == ADVISORS
        assert set(per_advisor(bank_url).values()) == {1}

    def test_two_schedulers_racing_send_each_briefing_once(self, bank_url: str, seeded: Seeded) -> None:
        reports = []
        start = threading.Barrier(2)

        def run() -> None:
            jobs = scheduler(bank_url)
            start.wait()
            reports.append(jobs.fire("briefing", AT))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(len(r.sent) for r in reports)[1] >= 1
        assert sum(len(r.sent) for r in reports) == ADVISORS
        assert set(per_advisor(bank_url).values()) == {1} and len(per_advisor(bank_url)) == ADVISORS
        with session_scope(bank_url) as session:
            assert session.scalar(select(func.count()).select_from(JobRun)) == ADVISORS


class TestCatchUp:
    def test_a_morning_missed_while_down_is_caught_up_once_within_the_grace_period(
            self, bank_url: str, seeded: Seeded) -> None:
        started_late = AT + dt.timedelta(hours=1, minutes=10)
        assert len(scheduler(bank_url).catch_up(started_late)[0].sent) == ADVISORS
        assert scheduler(bank_url).catch_up(started_late + dt.timedelta(minutes=20))[0].sent == []
        next_morning_early = dt.datetime(2026, 12, 2, 7, 0)
        assert scheduler(bank_url).catch_up(next_morning_early)[0].sent == []  # yesterday's is not sent again
        assert len(briefings(bank_url, "zhangmin")) == 1

    def test_beyond_the_grace_period_a_missed_morning_is_let_go(self, bank_url: str, seeded: Seeded) -> None:
        assert scheduler(bank_url, briefing_grace_minutes=60).catch_up(AT + dt.timedelta(hours=2))[0].sent == []
        assert briefings(bank_url) == []


class TestAdvisorsOwnChoice:
    def test_own_time_and_a_pause_are_honoured(self, bank_url: str, seeded: Seeded) -> None:
        with session_scope(bank_url) as session:
            ids = dict(session.execute(select(Staff.wecom_userid, Staff.id)).tuples().all())
            set_briefing_time(session, ids["zhangmin"], dt.time(9, 0))
            pause_briefing(session, ids["liqiang"], dt.date(2026, 12, 1), dt.date(2026, 12, 1))
        jobs = scheduler(bank_url)
        at_830 = jobs.fire("briefing", AT).sent
        assert "zhangmin" not in at_830 and "liqiang" not in at_830 and len(at_830) == ADVISORS - 2
        assert jobs.fire("briefing", dt.datetime(2026, 12, 1, 9, 0)).sent == ["zhangmin"]
        assert "liqiang" in jobs.fire("briefing", dt.datetime(2026, 12, 2, 8, 30)).sent


def test_apscheduler_wakes_the_briefing_every_five_minutes_in_china_time(bank_url: str) -> None:
    from zoneinfo import ZoneInfo

    trigger = scheduler(bank_url).triggers()["briefing"]
    china = ZoneInfo("Asia/Shanghai")
    fire = trigger.get_next_fire_time(None, dt.datetime(2026, 12, 1, 8, 26, tzinfo=china))
    assert fire == dt.datetime(2026, 12, 1, 8, 30, tzinfo=china)
    assert "briefing" not in scheduler(bank_url, briefing_enabled=False).triggers()
    assert {"briefing", "nav_intake", "nav_alerts", "weekly_report", "statement"} <= set(scheduler(bank_url).triggers())


class TestProcess:
    def test_run_catches_up_at_start_and_stops_on_sigterm(self, bank_url: str, seeded: Seeded) -> None:
        env = {**os.environ, "DATABASE_URL": bank_url, "CLOCK_NOW": "2026-12-01T08:40:00", "APP_ENV": "demo"}
        process = subprocess.Popen([sys.executable, "-m", "services.scheduler", "run"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(per_advisor(bank_url)) < ADVISORS:
                time.sleep(0.5)
            assert len(per_advisor(bank_url)) == ADVISORS
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=30)[0].decode()
        assert process.returncode == 0, output

    def test_the_production_profile_refuses_demo_settings(self, bank_url: str) -> None:
        env = {**os.environ, "DATABASE_URL": bank_url, "APP_ENV": "production"}
        done = subprocess.run([sys.executable, "-m", "services.scheduler", "run"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "production profile refused" in done.stderr and "DATABASE_URL" in done.stderr


def test_make_run_starts_the_scheduler_beside_the_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    from scripts import run

    monkeypatch.delenv("APP_ENV", raising=False)
    services, _web, _rasa = run._services()
    names = [service.name for service in services]
    assert "scheduler" in names and "sender" in names
    command = next(s.command for s in services if s.name == "scheduler")
    assert command[-3:] == ["-m", "services.scheduler", "run"]

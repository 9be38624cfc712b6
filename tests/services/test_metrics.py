"""Prometheus metrics of the sender and the scheduler (wecom/metrics.py): send failures, dead letters and the
outbox depth move with a real pass against the fake WeCom API; job runs count by outcome; both worker processes
serve /metrics on 127.0.0.1 only when their port is set."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import REGISTRY

from services.briefing_job import JobReport
from services.outbox import outbox_depth
from services.scheduler import Job, Scheduler
from services.settings import Settings
from tests.servers import free_port, get, start_sender, wait_for
from tests.services.outbox_kit import T0, enqueue, fake, worker
from tests.wecom_peer.fake_api import FakeWeCom

__all__ = ["fake"]  # fixture
ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    """The current value of one sample in this process's default registry (0 when not yet observed)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(url: str) -> str:
    """The text a real /metrics answers, failing the test unless it is a 200."""
    status, body = get(url)
    assert status == 200, body[:200]
    return body.decode()


class TestSender:
    def test_a_refused_send_counts_a_failure_a_dead_letter_and_the_dead_depth(
            self, fake: FakeWeCom, bank_url: str) -> None:
        failures = sample("wecom_outbox_send_failures_total", api="message/send")
        dead = sample("wecom_outbox_dead_letters_total", kind="info")
        depth = outbox_depth(bank_url)
        fake.inject("message/send", 60020)  # not retryable: dead at once
        note_id = enqueue(bank_url, "zhangmin", "不会重试的消息")
        sender = worker(bank_url)
        try:
            assert sender.run_once(T0).ids("dead") == [note_id]
        finally:
            sender.close()
        assert sample("wecom_outbox_send_failures_total", api="message/send") == failures + 1
        assert sample("wecom_outbox_dead_letters_total", kind="info") == dead + 1
        after = outbox_depth(bank_url)
        assert after["dead"] == depth["dead"] + 1 and set(after) == {"pending", "held", "awaiting_advisor", "dead"}

    def test_a_retried_failure_counts_but_is_no_dead_letter(self, fake: FakeWeCom, bank_url: str) -> None:
        failures = sample("wecom_outbox_send_failures_total", api="message/send")
        dead = sample("wecom_outbox_dead_letters_total", kind="info")
        fake.inject("message/send", 500)
        note_id = enqueue(bank_url, "zhangmin", "会重试的消息")
        sender = worker(bank_url)
        try:
            assert sender.run_once(T0).ids("retry") == [note_id]
        finally:
            sender.close()
        assert sample("wecom_outbox_send_failures_total", api="message/send") == failures + 1
        assert sample("wecom_outbox_dead_letters_total", kind="info") == dead

    def test_the_sender_process_serves_metrics_on_loopback_when_its_port_is_set(self, bank_url: str) -> None:
        enqueue(bank_url, "zhangmin", "等着发的消息")  # no WeCom settings: it stays pending
        port = free_port()
        sender = start_sender(env={"DATABASE_URL": bank_url, "OUTBOX_METRICS_PORT": str(port)}, name="sender-metrics")
        try:
            text = wait_for(lambda: scraped(f"http://127.0.0.1:{port}/metrics"), timeout_s=30, what="/metrics")
            pending = [line for line in text.splitlines() if line.startswith('wecom_outbox_depth{state="pending"}')]
            assert pending and float(pending[0].split()[-1]) >= 1
            assert "zhangmin" not in text and "等着发的消息" not in text
        finally:
            sender.stop()


def failing_job(_at: dt.datetime, _settings: Settings, _url: str | None) -> JobReport:
    raise RuntimeError("the database went away")


def quiet_job(_at: dt.datetime, _settings: Settings, _url: str | None) -> JobReport:
    return JobReport("quiet")


class TestScheduler:
    def test_each_run_counts_by_job_and_outcome(self, bank_url: str) -> None:
        scheduler = Scheduler(Settings(), bank_url)
        scheduler.jobs = {"boom": Job("boom", {"minute": "*"}, True, failing_job),
                          "quiet": Job("quiet", {"minute": "*"}, True, quiet_job)}
        before = (sample("scheduler_job_runs_total", job="boom", outcome="failed"),
                  sample("scheduler_job_runs_total", job="quiet", outcome="ok"))
        scheduler.catch_up()
        scheduler.fire("quiet")
        assert sample("scheduler_job_runs_total", job="boom", outcome="failed") == before[0] + 1
        assert sample("scheduler_job_runs_total", job="quiet", outcome="ok") == before[1] + 2
        assert sample("scheduler_job_runs_total", job="boom", outcome="ok") == 0

    def test_the_scheduler_process_serves_its_job_runs_when_its_port_is_set(self, bank_url: str) -> None:
        port = free_port()
        off = {f"{name}_ENABLED": "false" for name in
               ("BRIEFING", "NAV_INTAKE", "NAV_ALERTS", "WEEKLY_REPORT", "STATEMENT", "REWARDS")}
        env = {**os.environ, **off, "DATABASE_URL": bank_url, "SCHEDULER_METRICS_PORT": str(port),
               "SETTLEMENT_ENABLED": "true"}
        process = subprocess.Popen([sys.executable, "-m", "services.scheduler", "run"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def settled() -> str:
                answer = scraped(f"http://127.0.0.1:{port}/metrics") if process.poll() is None else ""
                return answer if 'scheduler_job_runs_total{job="settlement",outcome="ok"} 1.0' in answer else ""

            wait_for(lambda: _answers(port) and settled(), timeout_s=60, what="the settlement run at /metrics")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    def test_without_a_port_nothing_is_served(self) -> None:
        assert Settings().scheduler_metrics_port == 0 and Settings().outbox_metrics_port == 0


def _answers(port: int) -> bool:
    """Whether anything listens on 127.0.0.1:`port` yet."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        answered = probe.connect_ex(("127.0.0.1", port)) == 0
    if not answered:
        time.sleep(0.2)
    return answered

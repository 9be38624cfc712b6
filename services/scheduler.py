"""The scheduler process: runs the jobs (briefings, …) at their times in China time, in its own process.

    python -m services.scheduler run            # until SIGTERM / SIGINT (make run starts it)
    python -m services.scheduler once [JOB]     # every job (or one) once, now, then exit
    python -m services.scheduler jobs           # the jobs, on or off, and their next run

APScheduler's cron triggers wake the jobs; every job decides itself what is due at that moment and is
idempotent by our job-run table (a unique key per job, recipient and period: bank/job_runs.py), so a restart,
two scheduler processes or the catch-up at start-up (every job runs once, doing what is still within its
grace period) never send anything twice. APScheduler's own job stores are not used for that: they are not
meant to be shared by two schedulers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from calc import clock
from services.briefing_job import JobReport, send_briefings
from services.nav_alerts import send_nav_alerts
from services.nav_intake import take_in_navs
from services.rewards_ledger import grant_rewards
from services.settings import ProductionRefused, Settings, check_profile, get_settings
from services.settlement import settle_orders
from services.statements import send_statements
from services.weekly_report import send_weekly_reports
from wecom import logs, metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job: its name, when APScheduler wakes it (cron fields), whether it is on, and what it does at a moment."""

    name: str
    cron: dict[str, str]
    enabled: bool
    run: Callable[[dt.datetime, Settings, str | None], JobReport]


def jobs(settings: Settings) -> list[Job]:
    """Every job, from the settings. The briefing wakes every 5 minutes: each advisor may choose their time."""
    return [
        Job("briefing", {"minute": "*/5"}, settings.briefing_enabled, send_briefings),
        Job("nav_intake", {"minute": "5,35"}, settings.nav_intake_enabled, take_in_navs),
        Job("nav_alerts", {"minute": "10,40"}, settings.nav_alerts_enabled, send_nav_alerts),
        Job("weekly_report", {"minute": "*/15"}, settings.weekly_report_enabled, send_weekly_reports),
        Job("statement", {"day": "1-12", "minute": "45"}, settings.statement_enabled, send_statements),
        Job("settlement", {"minute": "20,50"}, settings.settlement_enabled, settle_orders),
        Job("rewards", {"minute": "0,30"}, settings.rewards_enabled, grant_rewards),
    ]


class Scheduler:
    """The jobs over the bank at `url` (default DATABASE_URL); `now` gives China time (pinned in tests)."""

    def __init__(self, settings: Settings | None = None, url: str | None = None,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings or get_settings()
        self.url = url
        self.zone = ZoneInfo(self.settings.scheduler_timezone)
        self.now = now or (lambda: clock.now_in(self.settings.scheduler_timezone))
        self.jobs = {job.name: job for job in jobs(self.settings)}
        self._apscheduler: BackgroundScheduler | None = None

    def fire(self, name: str, at: dt.datetime | None = None) -> JobReport:
        """Run job `name` for the moment `at` (default now); a failure is logged and reported empty. Each run is
        counted by outcome (scheduler_job_runs_total)."""
        with logs.bound(logs.new_request_id()):  # one id for the run's log lines
            return self._fire(name, at)

    def _fire(self, name: str, at: dt.datetime | None) -> JobReport:
        job = self.jobs[name]
        moment = at or self.now()
        try:
            report = job.run(moment, self.settings, self.url)
        except Exception as error:  # a database outage or a bug: the next wake-up (or catch-up) tries again
            log.error("job %s at %s failed: %s", name, moment.isoformat(timespec="minutes"), type(error).__name__)
            metrics.JOB_RUNS.labels(name, "failed").inc()
            return JobReport(name)
        metrics.JOB_RUNS.labels(name, "ok").inc()
        if report.sent:
            log.info("job %s %s: %d sent", name, report.period, len(report.sent))
        return report

    def catch_up(self, at: dt.datetime | None = None) -> list[JobReport]:
        """Every enabled job once: whatever is due and still within its grace period (missed while down) goes."""
        return [self.fire(name, at) for name, job in self.jobs.items() if job.enabled]

    def triggers(self) -> dict[str, CronTrigger]:
        """The cron trigger of every enabled job, in the scheduler's time zone."""
        return {name: CronTrigger(timezone=self.zone, **job.cron) for name, job in self.jobs.items() if job.enabled}

    def start(self) -> BackgroundScheduler:
        """Catch up, then let APScheduler wake each job at its times (in a background thread)."""
        self.catch_up()
        scheduler = BackgroundScheduler(timezone=self.zone)
        for name, trigger in self.triggers().items():
            scheduler.add_job(self.fire, trigger, args=[name], id=name, coalesce=True, max_instances=1,
                              misfire_grace_time=300)
        scheduler.start()
        self._apscheduler = scheduler
        return scheduler

    def stop(self) -> None:
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=True)
            self._apscheduler = None


def _print_jobs(scheduler: Scheduler) -> int:
    now = dt.datetime.now(scheduler.zone)
    triggers = scheduler.triggers()
    for name, job in scheduler.jobs.items():
        trigger = triggers.get(name)
        upcoming = trigger.get_next_fire_time(None, now) if trigger else None
        print(f"{name}\t{'on' if job.enabled else 'off'}\t{upcoming.isoformat(timespec='minutes') if upcoming else '—'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.scheduler", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the jobs at their times until SIGTERM / SIGINT")
    once = commands.add_parser("once", help="run every job (or one) once now")
    once.add_argument("job", nargs="?")
    commands.add_parser("jobs", help="list the jobs and their next run")
    args = parser.parse_args(argv)
    logs.configure("scheduler")
    try:
        check_profile(get_settings())
    except ProductionRefused as error:
        print(error, file=sys.stderr)
        return 2
    scheduler = Scheduler()
    if args.command == "jobs":
        return _print_jobs(scheduler)
    if args.command == "once":
        names = [args.job] if args.job else [n for n, j in scheduler.jobs.items() if j.enabled]
        unknown = [n for n in names if n not in scheduler.jobs]
        if unknown:
            print(f"unknown job: {', '.join(unknown)}; jobs: {', '.join(scheduler.jobs)}", file=sys.stderr)
            return 2
        for name in names:
            report = scheduler.fire(name)
            print(f"{name}\t{report.period}\t{len(report.sent)} sent\t{len(report.already_done)} already done")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    metrics.serve(scheduler.settings.scheduler_metrics_port, "scheduler", scheduler.settings.metrics_host)
    log.info("scheduler started (%s)", scheduler.settings.scheduler_timezone)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.stop()
        log.info("scheduler stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

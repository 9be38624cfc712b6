"""Benchmark the morning briefing: every advisor's briefing built (set-based reads) and the whole job (reads, the
job-run keys, the outbox messages and the reminders), on demo banks of 640 and 5,000 clients, with the number of
SQL statements each run takes.

Run from the repo root: .venv/bin/python bench/bench_briefing.py (temporary SQLite files, never var/bank.db).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select

from bank.db import get_sessionmaker, session_scope
from bank.demo import build
from bank.models import Staff
from services.briefing_job import send_briefings
from services.briefings import build_briefings
from services.settings import Settings

TODAY = dt.date(2026, 11, 28)
AT = dt.datetime(2026, 11, 30, 8, 30)  # the Monday after: a working day
SIZES = (640, 5000)


def measure(url: str) -> tuple[int, int, float, int, float, int]:
    """(advisors, lines, build seconds, build statements, job seconds, job statements) on the bank at `url`."""
    settings = Settings()
    statements: list[str] = []
    engine = get_sessionmaker(url).kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with session_scope(url) as session:
        advisors = list(session.scalars(select(Staff.id).where(Staff.role == "advisor")))
        statements.clear()
        start = time.perf_counter()
        briefings = build_briefings(session, advisors, AT, settings)
        build_s, build_n = time.perf_counter() - start, len(statements)
    lines = sum(len(s.lines) for b in briefings.values() for s in b.ordered)
    statements.clear()
    start = time.perf_counter()
    report = send_briefings(AT, settings, url)
    job_s, job_n = time.perf_counter() - start, len(statements)
    assert len(report.sent) == len(advisors)
    return len(advisors), lines, build_s, build_n, job_s, job_n


def main() -> None:
    print("| demo bank (SQLite) | advisors | briefing lines | build all (s) | statements | job incl. writes (s) | statements |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for clients in SIZES:
            url = f"sqlite:///{Path(tmp) / f'bank-{clients}.db'}"
            build(url, seed=42, today=TODAY, clients=clients, progress=False)
            advisors, lines, build_s, build_n, job_s, job_n = measure(url)
            print(f"| {clients:,} clients | {advisors} | {lines:,} | {build_s:.2f} | {build_n} | {job_s:.2f} | {job_n} |")


if __name__ == "__main__":
    main()

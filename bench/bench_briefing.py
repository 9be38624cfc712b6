"""Benchmark the morning briefing: every advisor's briefing built (set-based reads) and the whole job (reads, the
job-run keys, the outbox messages and the reminders), on demo banks of 640 and 5,000 clients, and on 5,000 clients spread
over 20 advisors (the issue's size), with the number of SQL statements each run takes; beside it, in the same run,
the baseline of building the briefings one advisor at a time (what a per-advisor loop would cost).

Run from the repo root: .venv/bin/python bench/bench_briefing.py (temporary SQLite files, never var/bank.db).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select, update

from bank.db import get_sessionmaker, session_scope
from bank.demo import build
from bank.models import Client, Staff
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


def spread_over(url: str, advisors: int) -> None:
    """Add advisors to the demo's teams until there are `advisors`, and deal the clients out among them."""
    with session_scope(url) as session:
        staff = list(session.scalars(select(Staff).where(Staff.role == "advisor").order_by(Staff.id)))
        for n in range(len(staff), advisors):
            team = staff[n % len(staff)].team_id
            session.add(Staff(wecom_userid=f"bench{n:02d}", name=f"测试{n:02d}", role="advisor", team_id=team))
        session.flush()
        ids = list(session.scalars(select(Staff.id).where(Staff.role == "advisor").order_by(Staff.id)))
        clients = list(session.scalars(select(Client.id).order_by(Client.id)))
        for index, advisor in enumerate(ids):
            session.execute(update(Client).where(Client.id.in_(clients[index::len(ids)])).values(advisor_id=advisor))


def one_at_a_time(url: str) -> float:
    """Seconds to build every advisor's briefing with one call per advisor (the baseline)."""
    settings = Settings()
    with session_scope(url) as session:
        advisors = list(session.scalars(select(Staff.id).where(Staff.role == "advisor")))
        start = time.perf_counter()
        for advisor in advisors:
            build_briefings(session, [advisor], AT, settings)
        return time.perf_counter() - start


def main() -> None:
    print("| demo bank (SQLite) | advisors | briefing lines | build all (s) | statements | job incl. writes (s) | statements |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for clients in SIZES:
            url = f"sqlite:///{Path(tmp) / f'bank-{clients}.db'}"
            build(url, seed=42, today=TODAY, clients=clients, progress=False)
            advisors, lines, build_s, build_n, job_s, job_n = measure(url)
            print(f"| {clients:,} clients | {advisors} | {lines:,} | {build_s:.2f} | {build_n} | {job_s:.2f} | {job_n} |")
        url = f"sqlite:///{Path(tmp) / 'bank-20.db'}"
        build(url, seed=42, today=TODAY, clients=SIZES[-1], progress=False)
        spread_over(url, 20)
        baseline = one_at_a_time(url)
        advisors, lines, build_s, build_n, job_s, job_n = measure(url)
        print(f"| {SIZES[-1]:,} clients, 20 advisors | {advisors} | {lines:,} | {build_s:.2f} | {build_n} | {job_s:.2f} "
              f"| {job_n} |")
    print(f"\nbaseline, same run: one advisor at a time {baseline:.2f} s for {advisors} advisors; set-based build "
          f"{build_s:.2f} s ({baseline / build_s:.1f}× faster)")


if __name__ == "__main__":
    main()

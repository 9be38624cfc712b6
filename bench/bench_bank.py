"""Benchmark bank/: demo build and migration times, and directory/query latencies against a SELECT 1 baseline.

Run from the repo root: .venv/bin/python bench/bench_bank.py (uses a temporary SQLite file, never var/bank.db).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from bank import db
from bank.clients import client_profile, find_clients
from bank.demo import build
from bank.directory import demo_identities, who_is
from bank.models import Client, Holding, NavPoint
from bench.timing import timed
from services.maturities import maturities
from services.prospects import prospects_by_assets, prospects_for_portfolio, prospects_for_product


def once(fn: Callable[[], object]) -> float:
    """Wall time of a single call of `fn` in seconds."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


TODAY = dt.date(2026, 11, 28)
Case = tuple[str, Callable[[], object]]


def one_shot_table(tmp: Path) -> str:
    """Time migrating an empty database and building the demo one; print the table; return the demo URL."""
    empty = f"sqlite:///{tmp / 'empty.db'}"
    demo = f"sqlite:///{tmp / 'demo.db'}"
    migrate_s = once(lambda: db.upgrade(empty))
    build_s = once(lambda: build(demo, seed=42, today=TODAY, progress=False))
    print("| one-shot (SQLite, 640 clients) | seconds | ratio vs migrate |")
    print("|---|---:|---:|")
    print(f"| migrate empty database to head | {migrate_s:.2f} | 1.0 |")
    print(f"| python -m bank demo (incl. migrate) | {build_s:.2f} | {build_s / migrate_s:.1f} |")
    print()
    return demo


def directory_cases(session: Session) -> list[Case]:
    """The SELECT 1 baseline plus directory lookups and raw ORM loads."""
    people = demo_identities(session)
    staff, client = people[0].wecom_id, people[-1].wecom_id
    client_id = people[-1].client_id
    return [
        ("SELECT 1 (baseline)", lambda: session.execute(text("SELECT 1")).scalar_one()),
        ("who_is(staff userid)", lambda: who_is(session, staff)),
        ("who_is(client external userid)", lambda: who_is(session, client)),
        ("who_is(unknown id)", lambda: who_is(session, "nobody")),
        ("demo_identities(per_role=3)", lambda: demo_identities(session)),
        ("client with holdings + products", lambda: session.execute(
            select(Client).where(Client.id == client_id)
            .options(selectinload(Client.holdings).selectinload(Holding.product))).scalar_one()),
        ("NAV history of one product (~850 rows)", lambda: session.execute(
            select(NavPoint.date, NavPoint.nav).where(NavPoint.product_id == 22).order_by(NavPoint.date)).all()),
    ]


def service_cases(session: Session) -> list[Case]:
    """Client search, profile, maturities and prospect queries as an advisor or a manager."""
    today = TODAY
    advisor, manager = who_is(session, "zhangmin"), who_is(session, "chenjing")
    assert advisor is not None and manager is not None
    profile_id = find_clients(session, advisor, "张伟", today)[0].id
    return [
        ("find_clients('张', advisor)", lambda: find_clients(session, advisor, "张", today)),
        ("client_profile (advisor)", lambda: client_profile(session, advisor, profile_id, today)),
        ("maturities, next 30 days (manager's team)",
         lambda: maturities(session, manager, today, today + dt.timedelta(days=30), today)),
        ("prospects_for_product (manager)", lambda: prospects_for_product(session, manager, "MF002", today)),
        ("prospects_for_portfolio 稳健组合 (manager)",
         lambda: prospects_for_portfolio(session, manager, "稳健组合", today)),
        ("prospects_by_assets (manager)", lambda: prospects_by_assets(session, manager, today)),
    ]


def time_cases(session: Session, cases: list[Case]) -> list[tuple[str, float]]:
    """Median warm latency (ms) of each case, with the ORM identity map expired before each."""
    results = []
    for name, fn in cases:
        session.expire_all()
        results.append((name, timed(fn, repeat=50 if "prospects" in name or "maturities" in name else 200)))
    return results


def query_table(results: list[tuple[str, float]]) -> None:
    """Print the query latency table with ratios against the first (SELECT 1) row."""
    base = results[0][1]
    print("| query (SQLite, warm) | median ms | ratio vs SELECT 1 |")
    print("|---|---:|---:|")
    for name, ms in results:
        print(f"| {name} | {ms:.3f} | {ms / base:.1f} |")


def main() -> None:
    """Print the one-shot table, then the query latency table, against a temporary SQLite demo database."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = one_shot_table(Path(tmp))
        session: Session = db.get_sessionmaker(demo)()
        cases = directory_cases(session)
        cases += service_cases(session)
        results = time_cases(session, cases)
        session.close()
        query_table(results)


if __name__ == "__main__":
    main()

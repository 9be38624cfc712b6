"""Benchmark web/ and services/dashboard.py: dashboard query latency vs SELECT 1, and HTTP latency vs GET /health.

Run from the repo root: .venv/bin/python bench/bench_web.py (builds a temporary demo bank, never var/bank.db;
starts the web app under uvicorn on a free port and stops it afterwards).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from bank import db
from bank.demo import build
from bank.directory import who_is
from bench.timing import timed
from scripts.services import free_port, web_app
from services.dashboard import advisor_dashboard, team_dashboard
from services.demo_history import add_history

START, END = dt.date(2026, 10, 30), dt.date(2026, 11, 28)




def table(title: str, rows: list[tuple[str, float]]) -> None:
    base = rows[0][1]
    print(f"| {title} | median ms | ratio vs {rows[0][0]} |")
    print("|---|---:|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.2f} | {ms / base:.1f} |")
    print()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        build(url, seed=42, today=END, progress=False)
        add_history(url, seed=42, today=END, progress=False)  # dashboards with proposals, pushes and orders
        with db.session_scope(url) as session:
            manager, advisor = who_is(session, "chenjing"), who_is(session, "zhangmin")
            assert manager and advisor and manager.staff_id and advisor.staff_id
            year = (END - dt.timedelta(days=365), END)
            table("dashboard query (SQLite, 640 clients)", [
                ("SELECT 1", timed(lambda: session.execute(text("SELECT 1")), 200)),
                ("team_dashboard, 30 days", timed(lambda: team_dashboard(session, manager.staff_id, START, END), 30)),
                ("team_dashboard, 366 days", timed(lambda: team_dashboard(session, manager.staff_id, *year), 30)),
                ("advisor_dashboard, 30 days",
                 timed(lambda: advisor_dashboard(session, advisor.staff_id, START, END), 30)),
            ])
        service = web_app(free_port(), env={"DATABASE_URL": url, "SESSION_SECRET": "bench"},
                          log_path=Path(tmp) / "web.log").start().wait_ready(60.0)
        try:
            with httpx.Client(base_url=service.url, timeout=30.0) as http:
                http.post("/api/session", json={"sender_id": "chenjing"}).raise_for_status()
                period = {"start": START.isoformat(), "end": END.isoformat()}
                table("HTTP via uvicorn (one client)", [
                    ("GET /health", timed(lambda: http.get("/health"), 100)),
                    ("GET /api/session (cookie + directory)", timed(lambda: http.get("/api/session"), 100)),
                    ("GET / (chat page, signed in)", timed(lambda: http.get("/"), 50)),
                    ("GET /api/dashboard/team", timed(lambda: http.get("/api/dashboard/team", params=period), 30)),
                    ("GET /dashboard (page + 4 SVG charts)",
                     timed(lambda: http.get("/dashboard", params=period), 30)),
                ])
        finally:
            service.stop()


if __name__ == "__main__":
    main()

"""The shelf's web tests' set-up: a private demo bank whose three picker clients are C2 (valid), C3 (expired) and
unassessed, and the real app (web.app) under uvicorn on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from bank.db import session_scope
from bank.directory import demo_identities
from bank.models import Client
from scripts.services import VENV, Service, free_port
from tests.servers import LOGS
from tests.web.conftest import SESSION_SECRET

TODAY = dt.date(2026, 11, 28)


@dataclass(frozen=True)
class Cast:
    """Who the shelf tests sign in as (WeCom ids) and the valid client's id."""

    valid: str
    expired: str
    unassessed: str
    valid_id: int
    own_advisor: str
    other_advisor: str


def prepare_cast(bank_url: str) -> Cast:
    with session_scope(bank_url) as session:
        clients = [p for p in demo_identities(session) if p.role == "client"][:3]
        rows = [session.get(Client, p.client_id) for p in clients]
        for row, (level, days) in zip(rows, [("C2", 30), ("C3", 400), (None, None)], strict=True):
            assert row is not None
            row.risk_level = level
            row.risk_assessed_on = None if days is None else TODAY - dt.timedelta(days=days)
        first = rows[0]
        assert first is not None
        picker_advisors = [p.wecom_id for p in demo_identities(session) if p.role == "advisor"]
        own = first.advisor.wecom_userid
        other = next(a for a in picker_advisors if a != own)
        if own not in picker_advisors:  # the picker must offer the client's own advisor too
            raise AssertionError(f"the demo picker does not offer {own}")
        return Cast(clients[0].wecom_id, clients[1].wecom_id, clients[2].wecom_id, first.id, own, other)


def start_shelf_web(bank_url: str) -> Service:
    """uvicorn serving the app with the shelf, the clock at the demo bank's day."""
    port = free_port()
    return Service(
        name="web app with shelf",
        command=[str(VENV / "bin" / "python"), "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1",
                 "--port", str(port)],
        ready_url=f"http://127.0.0.1:{port}/health", url=f"http://127.0.0.1:{port}",
        env={"DATABASE_URL": bank_url, "SESSION_SECRET": SESSION_SECRET, "CLOCK_NOW": "2026-11-28T10:00:00",
             "RASA_URL": "http://127.0.0.1:9"},
        log_path=LOGS / f"web-shelf-{port}.log").start().wait_ready(60.0)


def as_who(base_url: str, sender_id: str | None) -> Iterator[httpx.Client]:
    """A cookie jar signed in as `sender_id` (None: nobody)."""
    with httpx.Client(base_url=base_url, timeout=30.0) as http:
        if sender_id is not None:
            assert http.post("/api/session", json={"sender_id": sender_id}).status_code == 200
        yield http

"""Fixtures for the advisor tests: a session over the shared demo bank, the demo staff, and a scratch bank for
tests that write (contacts, proposals), so the shared demo bank stays as built."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import Identity, who_is

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def scratch_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private demo bank (same seed and day as the shared one) that these tests may write to."""
    path = tmp_path_factory.mktemp("advisor-bank") / "bank.db"
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-m", "bank", "demo", "--seed", "7", "--today", TODAY.isoformat()],
                   cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return url


@pytest.fixture
def session(scratch_db_url: str) -> Iterator[Session]:
    """A session whose changes are rolled back after the test."""
    with session_scope(scratch_db_url) as s:
        yield s
        s.rollback()


def staff(session: Session, wecom_id: str) -> Identity:
    ident = who_is(session, wecom_id)
    assert ident is not None
    return ident


@pytest.fixture
def zhangmin(session: Session) -> Identity:
    """Advisor with two clients named 张伟 (and one 王芳)."""
    return staff(session, "zhangmin")


@pytest.fixture
def liqiang(session: Session) -> Identity:
    """Advisor in the same team with one client named 张伟."""
    return staff(session, "liqiang")


@pytest.fixture
def chenjing(session: Session) -> Identity:
    return staff(session, "chenjing")


@pytest.fixture
def zhaoli(session: Session) -> Identity:
    return staff(session, "zhaoli")

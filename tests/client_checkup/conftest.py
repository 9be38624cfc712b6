"""Fixtures for the check-up, risk and wealth tests: a private copy of the session's demo bank (these tests write
assessments and proposals), and DATABASE_URL pointing the actions at it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def bank_copy(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo bank (SQLite backup API, so pending WAL pages come along)."""
    source = demo_db_url.removeprefix("sqlite:///")
    target = Path(tmp_path_factory.mktemp("checkup-bank")) / "bank.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture
def bank_env(bank_copy: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", bank_copy)
    return bank_copy

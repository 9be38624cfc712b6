"""Fixtures for the check-up, risk and wealth tests: a private copy of the session's demo bank (these tests write
assessments and proposals), and DATABASE_URL pointing the actions at it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bank_files import copy_bank

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def bank_copy(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo bank (SQLite backup API, so pending WAL pages come along)."""
    return copy_bank(demo_db_url, tmp_path_factory.mktemp("checkup-bank") / "bank.db")


@pytest.fixture
def bank_env(bank_copy: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", bank_copy)
    return bank_copy

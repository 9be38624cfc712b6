"""Fixtures for bank/ tests: temporary SQLite databases only (never var/bank.db)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bank import db
from bank.demo import build
from tests.demo_staff import *  # noqa: F403  (sessions over the demo bank, the demo staff, index_dir)

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A full demo bank (seed 42, fixed today) built once for the read-only tests of this folder."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bankdemo') / 'bank.db'}"
    build(url, seed=42, today=TODAY, progress=False)
    return url


@pytest.fixture
def demo_session(demo_url: str) -> Iterator[Session]:
    with db.session_scope(demo_url) as session:
        yield session


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    """A fresh database migrated to head, with no rows."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    db.upgrade(url)
    return url



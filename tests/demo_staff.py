"""Fixtures over the demo bank (seed 7, today 2026-11-28) that the bank, services and actions tests share: sessions
and the demo staff by role. Conftests import them by name; a test module picks its `session` by aliasing one of
`shared_session` (read-only, the session's shared demo bank), `scratch_session` (rolled back) or `copy_session`
(a private copy per test)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import Identity, who_is
from tests.bank_files import copy_bank

TODAY = dt.date(2026, 11, 28)

# The fixtures a conftest takes with `from tests.demo_staff import *`.
__all__ = ["advisor_a", "advisor_b", "bank_url", "chenjing", "copy_session", "index_dir", "liqiang", "manager", "other_manager", "scratch_db_url", "scratch_session", "shared_session", "unknown", "zhangmin", "zhaoli"]


@pytest.fixture(scope="session")
def scratch_db_url(demo_template_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private demo bank (same seed and day as the shared one) that tests may write to."""
    return copy_bank(demo_template_url, tmp_path_factory.mktemp("scratch-bank") / "bank.db")


@pytest.fixture
def bank_url(demo_template_url: str, tmp_path: Path) -> str:
    """A private copy of the demo bank for one test."""
    return copy_bank(demo_template_url, tmp_path / "bank.db")


@pytest.fixture(scope="module")
def shared_session(demo_db_url: str) -> Iterator[Session]:
    """A session over the session's shared demo bank (read-only tests)."""
    with session_scope(demo_db_url) as s:
        yield s


@pytest.fixture
def scratch_session(scratch_db_url: str) -> Iterator[Session]:
    """A session over the scratch bank whose changes are rolled back after the test."""
    with session_scope(scratch_db_url) as s:
        yield s
        s.rollback()


@pytest.fixture
def copy_session(bank_url: str) -> Iterator[Session]:
    """A session over this test's private copy of the demo bank."""
    with session_scope(bank_url) as s:
        yield s


def staff(session: Session, wecom_id: str, role: str | None = None) -> Identity:
    """The identity of a demo staff member (checked against `role` when given)."""
    ident = who_is(session, wecom_id)
    assert ident is not None and (role is None or ident.role == role)
    return ident


@pytest.fixture(scope="module")
def advisor_a(session: Session) -> Identity:
    """张敏: two clients named 张伟."""
    return staff(session, "zhangmin", "advisor")


@pytest.fixture(scope="module")
def advisor_b(session: Session) -> Identity:
    """李强: one client named 张伟, same team as 张敏."""
    return staff(session, "liqiang", "advisor")


@pytest.fixture(scope="module")
def manager(session: Session) -> Identity:
    return staff(session, "chenjing", "manager")


@pytest.fixture(scope="module")
def other_manager(session: Session) -> Identity:
    return staff(session, "zhaoli", "manager")


@pytest.fixture(scope="module")
def unknown() -> Identity:
    return Identity("stranger", "guest", "陌生人", None, None, None)


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


@pytest.fixture
def index_dir(knowledge_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the session's knowledge index, so a test may ingest."""
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir, target, ignore=shutil.ignore_patterns("write.lock"))
    return target


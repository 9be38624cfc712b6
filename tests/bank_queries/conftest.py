"""Fixtures for the bank query tests: one session over the shared demo bank and its people by role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import Identity, who_is

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def session(demo_db_url: str) -> Iterator[Session]:
    with session_scope(demo_db_url) as s:
        yield s


def _staff(session: Session, wecom_id: str, role: str) -> Identity:
    ident = who_is(session, wecom_id)
    assert ident is not None and ident.role == role
    return ident


@pytest.fixture(scope="module")
def advisor_a(session: Session) -> Identity:
    """张敏: two clients named 张伟."""
    return _staff(session, "zhangmin", "advisor")


@pytest.fixture(scope="module")
def advisor_b(session: Session) -> Identity:
    """李强: one client named 张伟, same team as 张敏."""
    return _staff(session, "liqiang", "advisor")


@pytest.fixture(scope="module")
def manager(session: Session) -> Identity:
    return _staff(session, "chenjing", "manager")


@pytest.fixture(scope="module")
def other_manager(session: Session) -> Identity:
    return _staff(session, "zhaoli", "manager")


@pytest.fixture(scope="module")
def unknown() -> Identity:
    return Identity("stranger", "guest", "陌生人", None, None, None)

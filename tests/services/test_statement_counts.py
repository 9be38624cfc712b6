"""Each query is a few SQL statements whatever the number of clients (no N+1 over the book)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bank.clients import client_profile, find_clients
from bank.directory import Identity
from services.maturities import maturities
from services.prospects import prospects_by_assets, prospects_for_portfolio, prospects_for_product
from tests.demo_staff import TODAY


@pytest.fixture(scope="module")
def session(shared_session: Session) -> Session:
    """The bank these tests read (see tests/demo_staff.py)."""
    return shared_session


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


CASES: list[tuple[str, int, Callable[[Session, Identity], Any]]] = [
    ("find", 2, lambda s, v: find_clients(s, v, "张", TODAY)),
    ("profile", 3, lambda s, v: client_profile(s, v, find_clients(s, v, "张伟", TODAY)[0].id, TODAY)),
    ("maturities", 2, lambda s, v: maturities(s, v, TODAY, TODAY + dt.timedelta(days=365), TODAY)),
    ("product", 2, lambda s, v: prospects_for_product(s, v, "MF002", TODAY)),
    ("portfolio", 4, lambda s, v: prospects_for_portfolio(s, v, "稳健组合", TODAY)),
    ("assets", 1, lambda s, v: prospects_by_assets(s, v, TODAY)),
]


@pytest.mark.parametrize(("name", "most", "call"), CASES, ids=[c[0] for c in CASES])
def test_few_statements_for_a_whole_team(
    session: Session, manager: Identity, name: str, most: int, call: Callable[[Session, Identity], Any]
) -> None:
    session.expire_all()
    with counting(session) as statements:
        call(session, manager)
    # the profile case also runs one find_clients first
    allowed = most + (2 if name == "profile" else 0)
    assert 0 < len(statements) <= allowed, statements

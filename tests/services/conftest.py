"""Fixtures for the services tests: the push cast and the SQL statements a test runs. Sessions over the demo bank, the demo staff and a private
knowledge index come from tests/demo_staff.py, which tests/conftest.py loads for every suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from bank.db import get_sessionmaker
from tests.demo_staff import *  # noqa: F403  (sessions over the demo bank, the demo staff, index_dir)
from tests.services.push_cast import cast  # noqa: F401  (fixture)


@pytest.fixture
def statements(bank_url: str) -> Iterator[list[str]]:
    """Every SQL statement the bank at `bank_url` runs while the test runs (for the no-N+1 guards)."""
    seen: list[str] = []
    engine = get_sessionmaker(bank_url).kw["bind"]

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)

"""Insert a row unless its unique key is taken, without aborting the caller's transaction (no savepoint: SQLite's
driver handles those badly): INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_once(session: Session, model: type[DeclarativeBase], values: Mapping[str, Any],
                key: Sequence[str] | None = None) -> bool:
    """Insert `values` into `model`'s table unless a row with the same `key` columns exists (any unique
    constraint when `key` is None): whether it did.

    Other databases get a plain INSERT (an IntegrityError then is the caller's to handle).
    """
    dialect = session.get_bind().dialect.name
    target = list(key) if key else None
    if dialect == "sqlite":
        statement: Any = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=target)
    elif dialect == "postgresql":
        statement = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=target)
    else:
        statement = insert(model).values(**values)
    return bool(session.execute(statement).rowcount)

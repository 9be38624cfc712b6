"""The bank database tables the Rasa process writes (the inbox, the 微信客服 cursors, the outbox), in SQLAlchemy
Core that both Python environments run (SQLAlchemy 1.4 under Rasa, 2.x elsewhere).

bank/models.py defines these tables for migrations and the services; this module restates only the columns
the channels read or write (tests/wecom checks that they agree), because the Rasa process may not import bank/.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, event
from sqlalchemy.engine import Engine

metadata = MetaData()

inbox = Table(
    "inbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("sender", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("meta", JSON),
    Column("received_at", DateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_until", DateTime),
    Column("busy_told_at", DateTime),
    Column("done_at", DateTime),
    Column("error", String(200)),
)

kf_cursors = Table(
    "kf_cursors", metadata,
    Column("open_kfid", String(64), primary_key=True),
    Column("cursor", String(256), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True),
    Column("recipient", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("card", JSON),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("error", String(200)),
    Column("path", String(64)),
    Column("payload", JSON),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime),
    Column("priority", Integer, nullable=False),
    Column("route", String(16)),
    Column("source", String(160)),
    Column("external_id", String(128)),
    Column("request_id", String(64)),
)


def driver_url(url: str) -> str:
    """`url` with a PostgreSQL driver this environment has (psycopg 3 here, psycopg2 under Rasa).

    >>> driver_url("sqlite:////tmp/bank.db")
    'sqlite:////tmp/bank.db'
    """
    has = importlib.util.find_spec
    if url.startswith("postgresql+psycopg://") and has("psycopg") is None and has("psycopg2") is not None:
        return "postgresql+psycopg2://" + url.removeprefix("postgresql+psycopg://")
    if url.startswith("postgresql+psycopg2://") and has("psycopg2") is None and has("psycopg") is not None:
        return "postgresql+psycopg://" + url.removeprefix("postgresql+psycopg2://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the bank database that survives its restarts (connections are checked before use)."""
    url = driver_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)

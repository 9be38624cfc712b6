"""Writes done once per request: a key (the inbox message id and the action) stored with the write's result
in the same transaction, so a turn replayed after a crash finds the first result and writes nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from bank.models import IdempotencyKey
from calc import clock

MAX_KEY = 200


def recall(session: Session, key: str | None) -> dict[str, Any] | None:
    """The result stored under `key` by an earlier write, or None (always None without a key)."""
    if not key:
        return None
    row = session.get(IdempotencyKey, key[:MAX_KEY])
    return dict(row.result or {}) if row is not None else None


def remember(session: Session, key: str | None, result: dict[str, Any], now: dt.datetime | None = None) -> None:
    """Store `result` under `key` in the caller's transaction (flushed: a concurrent twin fails on commit)."""
    if not key:
        return
    session.add(IdempotencyKey(key=key[:MAX_KEY], result=result, created_at=now or clock.now()))
    session.flush()

"""Fixtures for portfolio pushes: a private bank copy, the demo advisor and three clients set up for the checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bank.db import session_scope
from tests.bank_files import copy_bank
from tests.push.bankcopy import NOW, Cast, prepare

__all__ = ["NOW", "Cast", "prepare"]


@pytest.fixture
def bank_url(demo_template_url: str, tmp_path: Path) -> str:
    return copy_bank(demo_template_url, tmp_path / "bank.db")


@pytest.fixture
def session(bank_url: str) -> Iterator[Session]:
    with session_scope(bank_url) as s:
        yield s


@pytest.fixture
def cast(bank_url: str) -> Cast:
    return prepare(bank_url)

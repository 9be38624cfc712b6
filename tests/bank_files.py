"""Copies of SQLite bank files for tests (standard library only: the root conftest also loads under Rasa)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_bank(source_url: str, target: Path) -> str:
    """Copy the SQLite database at `source_url` to `target` with SQLite's online backup; returns the new URL."""
    source = sqlite3.connect(source_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return f"sqlite:///{target}"

"""One knowledge index per test session, built from the shipped corpus and the session's demo bank."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sheets_dir(tmp_path_factory: pytest.TempPathFactory, demo_db_url: str) -> Path:
    """The product sheets of the session's demo bank, written as files (read-only for tests)."""
    from bank.db import session_scope
    from services.product_sheets import write_sheets

    path = tmp_path_factory.mktemp("sheets")
    with session_scope(demo_db_url) as session:
        write_sheets(session, path)
    return path


@pytest.fixture(scope="session")
def kindex(tmp_path_factory: pytest.TempPathFactory, sheets_dir: Path) -> Path:
    """The shipped corpus + product sheets indexed with the default model (read-only for tests)."""
    from knowledge import config
    from knowledge.build import ensure

    path = tmp_path_factory.mktemp("knowledge") / "index"
    cache = config.index_dir() / "embcache.sqlite"  # vectors by content hash: reusing them changes no result
    if cache.exists():
        path.mkdir(parents=True)
        shutil.copy2(cache, path / "embcache.sqlite")
    res = ensure(path, sheets_dir=sheets_dir)
    assert res["action"] == "rebuilt"
    return path


@pytest.fixture()
def kindex_rw(kindex: Path, tmp_path: Path) -> Path:
    """A private writable copy of the session index (embedding cache included, so writes are cheap)."""
    dst = tmp_path / "index"
    shutil.copytree(kindex, dst, ignore=shutil.ignore_patterns("write.lock"))
    return dst

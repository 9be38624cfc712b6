"""Session-wide fixtures: one demo bank, one action server and one Rasa server shared by the conversation tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bank_files import copy_bank
from tests.servers import Service, start_action_server, start_rasa

ROOT = Path(__file__).resolve().parents[1]
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_template_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo bank as built, once per test session; nothing writes to it: tests that need a private bank copy
    it (tests.bank_files.copy_bank), so what the shared servers wrote never leaks into them."""
    path = tmp_path_factory.mktemp("bank-template") / "bank.db"
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "bank", "demo", "--seed", str(DEMO_SEED), "--today", "2026-11-28"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    return url


@pytest.fixture(scope="session")
def demo_db_url(demo_template_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo bank the session's servers and read-mostly tests share (a copy, never var/bank.db)."""
    return copy_bank(demo_template_url, tmp_path_factory.mktemp("bank") / "bank.db")


@pytest.fixture(scope="session")
def people(demo_db_url: str) -> dict[str, Any]:
    """One demo identity per role (advisor, manager, client), from the session's demo bank.

    bank/ is imported here, not at module level: this conftest also loads in the Rasa environment
    (Python 3.10, SQLAlchemy 1.4), where bank/ cannot be imported.
    """
    from bank.db import session_scope
    from bank.directory import demo_identities

    with session_scope(demo_db_url) as session:
        found = demo_identities(session)
    return {role: next(p for p in found if p.role == role) for role in ("advisor", "manager", "client")}


@pytest.fixture(scope="session")
def knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the knowledge index (var/knowledge, built by `make knowledge`), so tests may ingest."""
    target = tmp_path_factory.mktemp("knowledge") / "index"
    source = ROOT / "var" / "knowledge"
    if (source / "CURRENT").exists():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("write.lock"))
    else:
        subprocess.run([sys.executable, "-m", "knowledge", "ensure"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "KNOWLEDGE_INDEX_DIR": str(target)})
    return target


@pytest.fixture(scope="session")
def action_server(demo_db_url: str, knowledge_dir: Path) -> Iterator[Service]:
    """The real rasa-sdk action server, reading the session's demo bank and its own copy of the knowledge index."""
    service = start_action_server(env={"DATABASE_URL": demo_db_url, "KNOWLEDGE_INDEX_DIR": str(knowledge_dir)})
    yield service
    service.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real Rasa server (REST channel) talking to the session's action server."""
    service = start_rasa(action_url=action_server.url, workdir=tmp_path_factory.mktemp("rasa"))
    yield service
    service.stop()

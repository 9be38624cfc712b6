"""bank/ on PostgreSQL: a throwaway local cluster (`make test` installs the server; a missing one fails)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from bank import db
from bank.demo import DemoBankExists, build
from bank.directory import demo_identities, who_is
from bank.models import Base, Client, Team
from tests.postgres import postgres_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def test_migrations_match_models_and_demo_builds_on_postgres(pg_url: str) -> None:
    counts = build(pg_url, seed=3, today=dt.date(2026, 11, 28), clients=600, progress=False)
    assert counts["clients"] == 600
    engine = db.make_engine(pg_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
    with pytest.raises(DemoBankExists):
        build(pg_url, seed=3, today=dt.date(2026, 11, 28), clients=600, progress=False)
    with db.session_scope(pg_url) as session:
        people = demo_identities(session)
        assert [p.role for p in people][:1] == ["manager"]
        assert who_is(session, people[-1].wecom_id) == people[-1]
        session.add(Team(name="新开支行", branch="南京分行"))  # ids after the demo's explicit ones are free
        session.flush()
        assert session.execute(select(func.count()).select_from(Client)).scalar_one() == 600


def test_postgres_and_sqlite_builds_hold_the_same_names(pg_url: str, tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'same.db'}"
    build(sqlite_url, seed=3, today=dt.date(2026, 11, 28), clients=600, progress=False)
    names = []
    for url in (pg_url, sqlite_url):
        with db.session_scope(url) as session:
            names.append(session.execute(select(Client.name, Client.risk_level).order_by(Client.id)).all())
    assert names[0] == names[1]


def test_a_backup_before_migrating_is_a_pg_dump_archive(pg_url: str, tmp_path: Path) -> None:
    from bank.backup import backup

    saved = backup(pg_url, tmp_path / "backups", dt.datetime(2026, 12, 1, 9, 0))
    assert saved.name == "bank-20261201-090000.dump"
    assert saved.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format, restorable with pg_restore

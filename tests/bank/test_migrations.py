"""Alembic migrations: upgrading keeps existing data, and the models match the migrated schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bank import db
from bank.__main__ import main
from bank.models import Base


def head_revision() -> str:
    """The newest revision among the migration scripts."""
    heads = ScriptDirectory(str(db.MIGRATIONS)).get_heads()
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0]


def test_upgrade_from_the_initial_revision_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(url, "0001")
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (id, name, branch) VALUES (1, '老支行', '老分行')"))
        conn.execute(text("INSERT INTO staff (id, wecom_userid, name, role, team_id) "
                          "VALUES (1, 'old01', '老员工', 'advisor', 1)"))
    assert "ix_holdings_maturity_date" not in {i["name"] for i in inspect(engine).get_indexes("holdings")}
    engine.dispose()

    db.upgrade(url)

    engine = db.make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, role FROM staff")).all() == [("老员工", "advisor")]
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    assert "ix_holdings_maturity_date" in {i["name"] for i in inspect(engine).get_indexes("holdings")}
    engine.dispose()


def test_models_match_the_migrations(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(empty_url: str) -> None:
    db.upgrade(empty_url)
    engine = db.make_engine(empty_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_cli_migrate_uses_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    assert main(["migrate", "--backup-dir", str(tmp_path / "backups")]) == 0
    assert path.exists()
    assert "schema upgraded from empty to" in capsys.readouterr().out
    assert not (tmp_path / "backups").exists()  # an empty database has nothing to back up
    assert main(["migrate", "--backup-dir", str(tmp_path / "backups")]) == 0
    assert "latest revision" in capsys.readouterr().out


def test_cli_migrate_backs_up_before_changing_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    db.upgrade(url, "0003")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO teams (id, name, branch) VALUES (1, '老团队', '新街口支行')")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["migrate", "--backup-dir", str(tmp_path / "backups")]) == 0
    out = capsys.readouterr().out
    (saved,) = (tmp_path / "backups").iterdir()
    assert f"backed up to {saved}" in out and "from 0003 to" in out
    with sqlite3.connect(saved) as conn:  # the copy holds the data and the old revision
        assert conn.execute("SELECT name FROM teams").fetchall() == [("老团队",)]
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]


def test_the_demo_bank_is_never_generated_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("APP_ENV", "production")
    assert main(["demo", "--seed", "1"]) == 2
    assert "never generated" in capsys.readouterr().err
    assert not (tmp_path / "prod.db").exists()


def test_default_url_is_var_bank_db_under_the_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir("/")
    url = db.database_url()
    assert url == f"sqlite:///{Path(db.__file__).resolve().parent.parent / 'var' / 'bank.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@localhost/bank")
    assert db.database_url() == "postgresql+psycopg://u:p@localhost/bank"


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(empty_url: str) -> None:
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


def test_sessionmaker_is_cached_per_url(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert db.get_sessionmaker(a) is db.get_sessionmaker(a)
    assert db.get_sessionmaker(a) is not db.get_sessionmaker(b)

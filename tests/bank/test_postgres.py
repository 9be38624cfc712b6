"""bank/ on PostgreSQL: a throwaway local cluster (`make test` installs the server; a missing one fails)."""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
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

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    """initdb refuses to run as root; use the postgres account then."""
    if os.geteuid() != 0:
        return args
    runuser = shutil.which("runuser")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        runuser = None
    if runuser is None:
        pytest.fail("running as root without runuser and a postgres account: apt-get install postgresql")
    return [runuser, "-u", "postgres", "--", *args]


def _server_binary(name: str) -> str | None:
    """`name` on PATH, else from Debian's versioned directory (/usr/lib/postgresql/N/bin), newest first."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return str(candidates[-1]) if candidates else None


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    initdb, pg_ctl = _server_binary("initdb"), _server_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are missing: run `make setup-test-system`")
    # Not under pytest's tmp dir: that is private to the current user, and the server may run as postgres.
    base = Path(tempfile.mkdtemp(prefix="bank-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = base / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run(_as_server_user(list(args)), check=True, capture_output=True, timeout=120, cwd=base)

    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "bank", "-E", "UTF8")
        run(pg_ctl, "-D", str(data), "-o", f"-p {port} -k {base} -c listen_addresses=''", "-l",
            str(base / "log"), "-w", "start")
    except subprocess.CalledProcessError as error:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start a local PostgreSQL: {error.stderr.decode(errors='replace')[-200:]}")
    try:
        yield f"postgresql+psycopg://bank@/postgres?host={base}&port={port}"
    finally:
        subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True,
                       timeout=60, cwd=base)
        shutil.rmtree(base, ignore_errors=True)


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

"""Back up the bank's database before a migration: SQLite through its online backup API, PostgreSQL with
pg_dump (custom format, restorable with pg_restore). Migrations run only through `python -m bank migrate`,
which calls this first whenever a revision is pending and the database holds tables."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bank.db import alembic_config, make_engine


class BackupError(RuntimeError):
    """The backup could not be made; the migration must not run."""


def pending_revision(url: str) -> tuple[str | None, str]:
    """(current revision or None for an empty database, head revision) of the schema at `url`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current, head


def has_tables(url: str) -> bool:
    """Whether the database at `url` holds any table (an empty one needs no backup)."""
    engine = make_engine(url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def backup(url: str, directory: Path, now: dt.datetime) -> Path:
    """Write a copy of the database at `url` into `directory`, named by time, and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    if parsed.get_backend_name() == "sqlite":
        source = parsed.database
        if not source or source == ":memory:":
            raise BackupError("DATABASE_URL: an in-memory SQLite database cannot be backed up")
        target = directory / f"bank-{stamp}.sqlite"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    if parsed.get_backend_name() == "postgresql":
        return _pg_dump(url, directory / f"bank-{stamp}.dump")
    raise BackupError(f"DATABASE_URL: no backup method for {parsed.get_backend_name()}")


def _pg_dump(url: str, target: Path) -> Path:
    """pg_dump in custom format; the password goes through the environment, never the command line."""
    binary = shutil.which("pg_dump") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))[::-1]), None)
    if binary is None:
        raise BackupError("pg_dump: not found (apt-get install postgresql-client)")
    parsed = make_url(url)
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    run = subprocess.run([binary, "--format=custom", f"--file={target}", f"--dbname={plain}"], env=env,
                         capture_output=True, text=True)
    if run.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {run.stderr.strip()[:300]}")
    return target

"""A throwaway local PostgreSQL for tests (bank/ on PostgreSQL, the production profile's security suite).

`make test` installs the server (scripts/setup_system.sh --test); a missing one fails the test that needs it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


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


class PostgresServer:
    """A throwaway PostgreSQL cluster on a private socket directory (no TCP) that tests may stop and start."""

    def __init__(self) -> None:
        initdb, pg_ctl = _server_binary("initdb"), _server_binary("pg_ctl")
        if not initdb or not pg_ctl:
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are missing: run `make setup-test-system`")
        self.pg_ctl = pg_ctl
        # Not under pytest's tmp dir: that is private to the current user, and the server may run as postgres.
        self.base = Path(tempfile.mkdtemp(prefix="bank-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self.data, self.port = self.base / "data", _free_port()
        try:
            self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", "bank", "-E", "UTF8")
            self.start()
        except subprocess.CalledProcessError as error:
            shutil.rmtree(self.base, ignore_errors=True)
            pytest.fail(f"could not start a local PostgreSQL: {error.stderr.decode(errors='replace')[-200:]}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://bank@/postgres?host={self.base}&port={self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run(_as_server_user(list(args)), check=True, capture_output=True, timeout=120, cwd=self.base)

    def start(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-o", f"-p {self.port} -k {self.base} -c listen_addresses=''",
                  "-l", str(self.base / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`immediate` is a crash: no shutdown checkpoint, clients cut off)."""
        subprocess.run(_as_server_user([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       capture_output=True, timeout=60, cwd=self.base)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (see PostgresServer), yielding its SQLAlchemy URL."""
    server = PostgresServer()
    try:
        yield server.url
    finally:
        server.remove()

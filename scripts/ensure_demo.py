"""Bring the bank's schema up to date, then create the demo bank if the database holds no clients yet.

Used by `make run` and `make bench`: an existing database keeps its data (Alembic migrations only add).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from sqlalchemy import func, inspect, select

from bank.db import database_url, make_engine, upgrade
from bank.models import Client


def has_clients(url: str) -> bool:
    """True when the database at `url` already has a clients table with at least one row."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(Client.__tablename__):
            return False
        with engine.connect() as connection:
            return bool(connection.execute(select(func.count()).select_from(Client)).scalar_one())
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    url = database_url()
    upgrade(url)
    if has_clients(url):
        print("==> demo bank already present; keeping it (python -m bank demo --replace rebuilds it)")
        return 0
    print("==> creating the demo bank")
    return subprocess.call([sys.executable, "-m", "bank", "demo", "--seed", str(args.seed)])


if __name__ == "__main__":
    sys.exit(main())

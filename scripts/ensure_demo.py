"""Bring the bank's schema up to date (backing it up first), then create the demo bank if the database holds no
clients yet, with its last 90 days of history (services/demo_history.py). Used by `make run` and `make bench`:
an existing database keeps its data.

In the production profile (APP_ENV=production) nothing is generated or migrated here: the schema must already be
at the latest revision (`python -m bank migrate` backs up, then upgrades), else this refuses.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from sqlalchemy import func, inspect, select

from bank.__main__ import migrate
from bank.backup import pending_revision
from bank.db import REPO_ROOT, database_url, make_engine
from bank.models import Client
from services.demo_history import add_history, summary
from services.settings import get_settings


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
    if get_settings().production:
        current, head = pending_revision(url)
        if current != head:
            print(f"refused: the schema is at {current or 'nothing'}, not {head}; run `python -m bank migrate` "
                  "(it backs up first)", file=sys.stderr)
            return 2
        print("==> production profile: schema is current; the demo bank is never generated")
        return 0
    if migrate(url, REPO_ROOT / "var" / "backups") != 0:
        return 2
    if has_clients(url):
        print("==> demo bank already present; keeping it (python -m bank demo --replace rebuilds it)")
        return 0
    print("==> creating the demo bank")
    built = subprocess.call([sys.executable, "-m", "bank", "demo", "--seed", str(args.seed)])
    if built != 0:
        return built
    print("==> playing its last 90 days (proposals, pushes, orders, settlement)")
    print(summary(add_history(url, seed=args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

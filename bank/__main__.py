"""Command line: `python -m bank migrate [--backup-dir DIR] | demo --seed N [--replace] [--today YYYY-MM-DD]
[--clients N] | stats | people`.

`migrate` is the only way the schema changes: it backs the database up first whenever a revision is pending and
the database holds tables. `demo` refuses to run in the production profile (APP_ENV=production).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from sqlalchemy import func, inspect, select

from bank import db


def _stats(url: str | None) -> int:
    from bank.models import Base

    engine = db.make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            print(f"{'table':<24}{'rows':>10}")
            for table in Base.metadata.sorted_tables:
                count = conn.execute(select(func.count()).select_from(table)).scalar_one() if table.name in names else "-"
                print(f"{table.name:<24}{count:>10}")
    finally:
        engine.dispose()
    return 0


def _people(url: str | None, per_role: int) -> int:
    from bank.directory import demo_identities

    role_names = {"manager": "管理人员", "advisor": "理财经理", "client": "客户"}
    with db.session_scope(url) as session:
        for person in demo_identities(session, per_role=per_role):
            print(f"{role_names[person.role]:<6}{person.name:<6}\t{person.wecom_id}\t{person.team_name or ''}")
    return 0


def migrate(url: str, backup_dir: Path) -> int:
    """Back up (when there is something to lose), then bring the schema to the latest revision."""
    from bank.backup import BackupError, backup, has_tables, pending_revision

    current, head = pending_revision(url)
    if current == head:
        print(f"schema is at the latest revision ({head}); nothing to do")
        return 0
    if has_tables(url):
        try:
            saved = backup(url, backup_dir, dt.datetime.now())
        except BackupError as error:
            print(f"refused: {error}; the schema was not changed", file=sys.stderr)
            return 2
        print(f"backed up to {saved}")
    db.upgrade(url)
    print(f"schema upgraded from {current or 'empty'} to {head}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank", description="The bank's systems of record.")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate_cmd = sub.add_parser("migrate", help="back up, then upgrade the schema to the latest revision (keeps data)")
    migrate_cmd.add_argument("--backup-dir", type=Path, default=db.REPO_ROOT / "var" / "backups",
                             help="where the backup goes (default var/backups)")
    demo = sub.add_parser("demo", help="create the deterministic demo bank")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--replace", action="store_true", help="delete existing bank data first")
    demo.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    demo.add_argument("--clients", type=int, default=None, help="number of clients (default 640)")
    sub.add_parser("stats", help="print row counts per table")
    people = sub.add_parser("people", help="list demo identities (role, name, WeCom id) to try the bot with")
    people.add_argument("--per-role", type=int, default=3)
    args = parser.parse_args(argv)
    url = db.database_url()
    if args.command == "migrate":
        return migrate(url, args.backup_dir)
    if args.command == "stats":
        return _stats(url)
    if args.command == "people":
        return _people(url, args.per_role)
    if os.environ.get("APP_ENV", "demo") == "production":
        print("refused: the demo bank is never generated in the production profile (APP_ENV=production)",
              file=sys.stderr)
        return 2
    from bank.demo import DEFAULT_CLIENTS, DemoBankExists, build

    try:
        counts = build(url, seed=args.seed, today=args.today, clients=args.clients or DEFAULT_CLIENTS,
                       replace=args.replace)
    except DemoBankExists as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    print(f"demo bank ready: {counts['clients']} clients, {counts['products']} products, "
          f"{counts['nav_points']} NAV points, {counts['holdings']} holdings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The daily NAV intake: new prices come in, so alerts, statements and settlement see current ones.

Two sources. A file drop: every `*.csv` in NAV_INBOX_DIR (format in calc/nav.py and the README) is loaded in one
transaction with its job-run key (nav_file, file name, SHA-256 of the content), so a file is loaded once; then it
moves to `processed/`, or, when any row is bad, nothing of it is stored and it moves to `rejected/` beside a
`.errors.txt` naming each bad row and field. In the demo profile, each market product's series is then continued
up to today over the trading days of calc/calendar.py, deterministically (calc.nav.continue_series). Holdings of
a product whose latest NAV changed are revalued (units × NAV).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank.db import REPO_ROOT, session_scope
from bank.demo.catalog import NAV_MODEL
from bank.job_runs import done_for, record_run
from bank.models import Holding, NavPoint, Product
from calc.calendar import days_between
from calc.nav import NavFileError, NavRow, NavRowError, continue_series, parse_nav_csv
from services.briefing_job import JobReport
from services.rules import nav_on_or_before
from services.settings import Settings

JOB = "nav_intake"
FILE_JOB = "nav_file"
log = logging.getLogger(__name__)


@dataclass
class IntakeReport(JobReport):
    """A run of the intake: files loaded (rows each), files rejected (why), rows of the demo continuation."""

    loaded: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    continued: int = 0


def inbox_dir(settings: Settings) -> Path:
    """NAV_INBOX_DIR, relative paths taken from the repository root."""
    path = Path(settings.nav_inbox_dir)
    return path if path.is_absolute() else REPO_ROOT / path


def take_in_navs(now: dt.datetime, settings: Settings, url: str | None = None) -> IntakeReport:
    """Load the dropped files, then (demo) continue the series up to today; revalue what moved."""
    today = now.date()
    report = IntakeReport(JOB, today.isoformat())
    if not settings.nav_intake_enabled:
        return report
    inbox = inbox_dir(settings)
    for path in sorted(inbox.glob("*.csv")) if inbox.is_dir() else []:
        try:
            rows = load_nav_file(path, now, url)
        except FileNotFoundError:  # another scheduler took it in and moved it meanwhile
            continue
        except NavFileError as error:
            report.rejected[path.name] = str(error)
            log.error("NAV file %s rejected: %s", path.name, error)
            _move(path, inbox / "rejected", errors=error)
            continue
        if rows is None:
            report.already_done.append(path.name)
        else:
            report.loaded[path.name] = rows
            report.sent.append(path.name)
        _move(path, inbox / "processed")
    if settings.nav_demo_continuation and not settings.production:
        try:
            with session_scope(url) as session:
                report.continued = continue_demo_series(session, today, settings.nav_demo_seed)
        except IntegrityError:  # another scheduler continued the same days (the same prices) first
            log.info("NAV continuation to %s: already done", today)
        if report.continued:
            report.sent.append(f"demo:{report.continued}")
    return report


def load_nav_file(path: Path, now: dt.datetime, url: str | None = None) -> int | None:
    """Store the rows of one NAV file with its job-run key in one transaction: the number of new rows, None when
    the file was loaded before. Raises NavFileError (nothing stored) when a row is bad or contradicts a stored NAV."""
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NavFileError([NavRowError(1, "file", f"not UTF-8 ({error.reason})", "文件应为UTF-8编码")]) from error
    try:
        with session_scope(url) as session:
            if done_for(session, FILE_JOB, digest):
                return None
            codes = dict(session.execute(select(Product.code, Product.id)).tuples().all())
            rows = parse_nav_csv(text, codes, now.date())
            new = _new_rows(session, rows, codes)
            if new:
                session.execute(insert(NavPoint), new)
            record_run(session, FILE_JOB, path.name, digest, now=now)
            revalue_holdings(session, {row["product_id"] for row in new}, now.date())
    except IntegrityError:
        log.info("NAV file %s: loaded by another run", path.name)
        return None
    log.info("NAV file %s: %d rows", path.name, len(new))
    return len(new)


def _new_rows(session: Session, rows: list[NavRow], codes: dict[str, int]) -> list[dict[str, object]]:
    """The rows not stored yet; a row stored with another NAV is an error naming its line."""
    if not rows:
        return []
    ids = {codes[r.code] for r in rows}
    first, last = min(r.date for r in rows), max(r.date for r in rows)
    stored = {(pid, day): nav for pid, day, nav in session.execute(
        select(NavPoint.product_id, NavPoint.date, NavPoint.nav)
        .where(NavPoint.product_id.in_(ids), NavPoint.date >= first, NavPoint.date <= last)).tuples()}
    errors, new = [], []
    for r in rows:
        before = stored.get((codes[r.code], r.date))
        if before is None:
            new.append({"product_id": codes[r.code], "date": r.date, "nav": r.nav})
        elif Decimal(before) != r.nav:
            errors.append(NavRowError(r.line, "nav", f"{r.code} on {r.date} is stored as {before} already, got {r.nav}",
                                      "该日净值已入库且不同"))
    if errors:
        raise NavFileError(errors)
    return new


def continue_demo_series(session: Session, today: dt.date, seed: int) -> int:
    """Continue every market product's NAV series from its last stored day up to `today` (trading days): the
    rows added."""
    last = (select(NavPoint.product_id.label("pid"), func.max(NavPoint.date).label("d"))
            .group_by(NavPoint.product_id).subquery())
    series = session.execute(
        select(Product.id, Product.code, Product.category, last.c.d, NavPoint.nav)
        .join(last, last.c.pid == Product.id)
        .join(NavPoint, (NavPoint.product_id == Product.id) & (NavPoint.date == last.c.d))
        .where(Product.category.in_(list(NAV_MODEL)), last.c.d < today)).tuples().all()
    rows: list[dict[str, object]] = []
    for product_id, code, category, last_day, nav in series:
        days = list(days_between(last_day + dt.timedelta(days=1), today))
        navs = continue_series(float(nav), days, NAV_MODEL[category], code, seed)
        rows += [{"product_id": product_id, "date": d, "nav": Decimal(f"{v:.4f}")} for d, v in zip(days, navs, strict=True)]
    if rows:
        session.execute(insert(NavPoint), rows)
        revalue_holdings(session, {int(r["product_id"]) for r in rows}, today)  # type: ignore[call-overload]
    return len(rows)


def revalue_holdings(session: Session, product_ids: set[int], today: dt.date) -> None:
    """Holdings of these products at units × their latest NAV on or before today, to the fen."""
    if not product_ids:
        return
    latest = nav_on_or_before(today)
    for product_id, nav in session.execute(select(latest.c.product_id, latest.c.nav)
                                           .where(latest.c.product_id.in_(product_ids))).tuples():
        session.execute(update(Holding).where(Holding.product_id == product_id, Holding.units > 0)
                        .values(market_value=func.round(Holding.units * Decimal(nav), 2)))


def _move(path: Path, folder: Path, errors: NavFileError | None = None) -> None:
    """Move a handled file aside (a later file of the same name gets a time prefix); gone already is fine."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{dt.datetime.now():%Y%m%d%H%M%S%f}-{path.name}"
    try:
        shutil.move(str(path), target)
    except FileNotFoundError:  # another scheduler moved it
        return
    if errors is not None:
        target.with_name(target.name + ".errors.txt").write_text(
            "\n".join(str(e) for e in errors.errors) + "\n", encoding="utf-8")

"""The NAV intake: a dropped CSV file is loaded once (one transaction, then moved aside), a bad file is rejected
whole with every bad row and field named, and in the demo each market series is continued up to today over the
trading days of the one calendar, deterministically; the scheduler runs it as the `nav_intake` job."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bank.db import session_scope
from bank.models import MARKET_CATEGORIES, Holding, JobRun, NavPoint, Product
from calc.calendar import is_trading_day
from calc.nav import NavFileError, continue_series, parse_nav_csv
from services import nav_intake
from services.nav_intake import FILE_JOB, take_in_navs
from services.scheduler import Scheduler
from services.settings import Settings

NOW = dt.datetime(2026, 12, 1, 19, 0)  # demo bank made on 2026-11-28: NAVs end on Friday 2026-11-27
HEADER = "product_code,date,nav\n"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "nav-inbox"
    folder.mkdir()
    return folder


def settings(inbox: Path, **more: object) -> Settings:
    values: dict[str, object] = {"nav_inbox_dir": str(inbox), "nav_demo_continuation": False, **more}
    return Settings(**values)  # type: ignore[arg-type]


def navs(url: str, code: str, since: dt.date) -> dict[dt.date, Decimal]:
    with session_scope(url) as session:
        return dict(session.execute(select(NavPoint.date, NavPoint.nav).join(Product, Product.id == NavPoint.product_id)
                                    .where(Product.code == code, NavPoint.date >= since)).tuples().all())


def count(url: str, model: type) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


class TestParse:
    def test_a_good_file_gives_its_rows(self) -> None:
        rows = parse_nav_csv("\ufeffProduct_Code,date,nav\nMF001,2026-11-30,1.5\n\nMF001,2026-12-01,1.4999\n",
                             {"MF001"}, NOW.date())
        assert [(r.code, r.date.day, r.nav, r.line) for r in rows] == [
            ("MF001", 30, Decimal("1.5000"), 2), ("MF001", 1, Decimal("1.4999"), 4)]

    def test_every_bad_row_is_named_with_its_field(self) -> None:
        text = HEADER + ("XX999,2026-11-30,1.2\nMF001,2026/11/30,1.2\nMF001,2026-11-30,-1\nMF001,2026-12-02,1.1\n"
                         "MF002,2026-11-30,1.23456\nMF001,2026-11-27,1.0\nMF001,2026-11-27,1.0\nMF002,2026-11-30,abc\n")
        with pytest.raises(NavFileError) as caught:
            parse_nav_csv(text, {"MF001", "MF002"}, NOW.date())
        named = [(e.line, e.field) for e in caught.value.errors]
        assert named == [(2, "product_code"), (3, "date"), (4, "nav"), (5, "date"), (6, "nav"), (8, "date"),
                         (9, "nav")]
        assert "line 8, date: MF001 on 2026-11-27 repeats line 7" in str(caught.value)

    def test_a_missing_column_rejects_the_header(self) -> None:
        with pytest.raises(NavFileError, match="line 1, nav: missing column"):
            parse_nav_csv("product_code,date\nMF001,2026-11-30\n", {"MF001"}, NOW.date())


class TestFileDrop:
    def test_a_file_is_loaded_once_and_moved_aside(self, bank_url: str, inbox: Path) -> None:
        before = navs(bank_url, "MF001", dt.date(2026, 11, 27))[dt.date(2026, 11, 27)]
        content = HEADER + f"MF001,2026-11-30,{before * Decimal('0.98'):.4f}\nMF001,2026-12-01,1.2345\n"
        (inbox / "nav-20261201.csv").write_text(content, encoding="utf-8")
        points = count(bank_url, NavPoint)
        report = take_in_navs(NOW, settings(inbox), bank_url)
        assert report.loaded == {"nav-20261201.csv": 2} and report.rejected == {}
        assert navs(bank_url, "MF001", dt.date(2026, 11, 30)) == {dt.date(2026, 11, 30): (before * Decimal("0.98")).quantize(Decimal("0.0001")),
                                                                   dt.date(2026, 12, 1): Decimal("1.2345")}
        assert not (inbox / "nav-20261201.csv").exists() and (inbox / "processed" / "nav-20261201.csv").exists()
        # dropped again (same content, even under another name): loaded once
        (inbox / "again.csv").write_text(content, encoding="utf-8")
        again = take_in_navs(NOW + dt.timedelta(minutes=30), settings(inbox), bank_url)
        assert again.loaded == {} and again.already_done == ["again.csv"]
        assert count(bank_url, NavPoint) == points + 2
        with session_scope(bank_url) as session:
            assert session.scalars(select(JobRun.recipient).where(JobRun.job == FILE_JOB)).all() == ["nav-20261201.csv"]

    def test_a_second_scheduler_that_read_before_the_first_committed_loads_nothing(
            self, bank_url: str, inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (inbox / "a.csv").write_text(HEADER + "MF001,2026-11-30,1.1000\n", encoding="utf-8")
        assert take_in_navs(NOW, settings(inbox), bank_url).loaded == {"a.csv": 1}
        points = count(bank_url, NavPoint)
        shutil.copy(inbox / "processed" / "a.csv", inbox / "a.csv")  # still there when the second one looked
        monkeypatch.setattr(nav_intake, "done_for", lambda *args, **kwargs: set())  # saw nothing done yet
        second = Scheduler(settings(inbox), bank_url).fire("nav_intake", NOW)
        assert second.sent == [] and second.already_done == ["a.csv"] and count(bank_url, NavPoint) == points
        assert count(bank_url, JobRun) == 1 and not (inbox / "a.csv").exists()

    def test_holdings_are_revalued_at_the_latest_nav(self, bank_url: str, inbox: Path) -> None:
        with session_scope(bank_url) as session:
            holding = session.scalars(select(Holding).join(Product).where(Product.code == "MF001",
                                                                           Holding.units > 0)).first()
            assert holding is not None
            holding_id, units = holding.id, holding.units
        (inbox / "a.csv").write_text(HEADER + "MF001,2026-12-01,2.0000\n", encoding="utf-8")
        take_in_navs(NOW, settings(inbox), bank_url)
        with session_scope(bank_url) as session:
            value = session.get(Holding, holding_id).market_value  # type: ignore[union-attr]
        assert Decimal(value) == (Decimal(units) * 2).quantize(Decimal("0.01"))

    def test_a_bad_file_stores_nothing_and_says_which_row_and_field(self, bank_url: str, inbox: Path) -> None:
        (inbox / "bad.csv").write_text(HEADER + "MF001,2026-11-30,1.1\nNOPE1,2026-11-30,1.1\nMF001,2026-12-01,0\n",
                                       encoding="utf-8")
        points = count(bank_url, NavPoint)
        report = take_in_navs(NOW, settings(inbox), bank_url)
        assert report.loaded == {} and "line 3, product_code: unknown product 'NOPE1'" in report.rejected["bad.csv"]
        assert "line 4, nav: must be positive" in report.rejected["bad.csv"]
        assert count(bank_url, NavPoint) == points and count(bank_url, JobRun) == 0  # not even line 2
        errors = (inbox / "rejected" / "bad.csv.errors.txt").read_text(encoding="utf-8")
        assert errors.splitlines()[0].startswith("line 3, product_code") and not (inbox / "bad.csv").exists()

    def test_a_row_contradicting_a_stored_nav_rejects_the_file(self, bank_url: str, inbox: Path) -> None:
        stored = navs(bank_url, "MF001", dt.date(2026, 11, 27))[dt.date(2026, 11, 27)]
        (inbox / "same.csv").write_text(HEADER + f"MF001,2026-11-27,{stored}\nMF001,2026-11-30,1.1\n", encoding="utf-8")
        (inbox / "other.csv").write_text(HEADER + f"MF002,2026-11-30,1.1\nMF001,2026-11-27,{stored + 1}\n",
                                         encoding="utf-8")
        report = take_in_navs(NOW, settings(inbox), bank_url)
        assert report.loaded == {"same.csv": 1}  # the stored row, identical, is skipped
        assert f"line 3, nav: MF001 on 2026-11-27 is stored as {stored} already" in report.rejected["other.csv"]
        assert dt.date(2026, 11, 30) not in navs(bank_url, "MF002", dt.date(2026, 11, 30))


class TestDemoContinuation:
    def test_every_market_series_reaches_today_on_trading_days_only(self, bank_url: str, inbox: Path) -> None:
        report = Scheduler(settings(inbox, nav_demo_continuation=True), bank_url).fire("nav_intake", NOW)
        with session_scope(bank_url) as session:
            last = dict(session.execute(select(Product.code, func.max(NavPoint.date)).join(NavPoint)
                                        .where(Product.category.in_(MARKET_CATEGORIES))
                                        .group_by(Product.code)).tuples().all())
            new_days = set(session.scalars(select(NavPoint.date).where(NavPoint.date > dt.date(2026, 11, 27))))
        assert last and set(last.values()) == {NOW.date()}
        assert new_days == {dt.date(2026, 11, 30), dt.date(2026, 12, 1)} and all(map(is_trading_day, new_days))
        assert report.continued == 2 * len(last)
        assert Scheduler(settings(inbox, nav_demo_continuation=True), bank_url).fire("nav_intake", NOW).continued == 0

    def test_the_continuation_is_seeded_and_does_not_depend_on_when_it_ran(self, bank_url: str, inbox: Path) -> None:
        start = navs(bank_url, "EF001", dt.date(2026, 11, 27))[dt.date(2026, 11, 27)]
        take_in_navs(dt.datetime(2026, 11, 30, 19, 0), settings(inbox, nav_demo_continuation=True), bank_url)
        take_in_navs(NOW, settings(inbox, nav_demo_continuation=True), bank_url)
        stepwise = navs(bank_url, "EF001", dt.date(2026, 11, 30))
        days = [dt.date(2026, 11, 30), dt.date(2026, 12, 1)]
        at_once = continue_series(float(start), days, (0.02, 0.95, 0.05, 0.10), "EF001", 42)
        assert [float(stepwise[d]) for d in days] == pytest.approx(at_once, abs=2e-4)
        assert at_once != continue_series(float(start), days, (0.02, 0.95, 0.05, 0.10), "EF001", 43)

    def test_not_in_the_production_profile(self, bank_url: str, inbox: Path) -> None:
        report = take_in_navs(NOW, settings(inbox, nav_demo_continuation=True, app_env="production"), bank_url)
        assert report.continued == 0 and NOW.date() not in navs(bank_url, "EF001", NOW.date())

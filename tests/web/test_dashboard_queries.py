"""services.dashboard over a copy of the demo bank, checked against independent counts and hand-inserted records."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.directory import who_is
from bank.models import Client, Contact, Order, PortfolioPush, Proposal, Staff, Transaction, UsageEvent
from services.dashboard import NotAManager, PeriodError, advisor_dashboard, check_period, team_dashboard

START, END = dt.date(2026, 10, 30), dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def bank_url(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo bank with a few proposals, pushes and orders added for zhangmin."""
    source = Path(demo_db_url.removeprefix("sqlite:///"))
    target = tmp_path_factory.mktemp("dash") / "bank.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    with session_scope(url) as session:
        advisor = session.execute(select(Staff).where(Staff.wecom_userid == "zhangmin")).scalar_one()
        client = session.execute(select(Client).where(Client.advisor_id == advisor.id).order_by(Client.id)).scalars().first()
        at = dt.datetime(2026, 11, 20, 10)
        for i, kind in enumerate(["checkup", "checkup", "plan_pension"]):
            session.add(Proposal(kind=kind, client_id=client.id, created_by_id=advisor.id, payload={},
                                 share_token=f"tok{i}", expires_at=at + dt.timedelta(days=7), created_at=at))
        session.add(Proposal(kind="checkup", client_id=client.id, created_by_id=advisor.id, payload={},
                             share_token="old", expires_at=at, created_at=dt.datetime(2026, 9, 1)))
        for i, state in enumerate(["confirmed", "confirmed", "declined", "pending"]):
            session.add(PortfolioPush(portfolio_id=1, advisor_id=advisor.id, client_id=client.id, status=state,
                                      expires_at=at + dt.timedelta(days=3), task_id=f"t{i}", created_at=at))
        session.flush()
        for i, (amount, state) in enumerate([("10000.50", "filled"), ("5000.25", "submitted"), ("999", "cancelled")]):
            session.add(Order(client_id=client.id, product_id=1, amount=Decimal(amount), status=state,
                              idempotency_key=f"k{i}", created_at=at))
    return url


@pytest.fixture
def session(bank_url: str) -> Iterator[Session]:
    with session_scope(bank_url) as s:
        yield s


def staff_id(session: Session, userid: str) -> int:
    identity = who_is(session, userid)
    assert identity is not None and identity.staff_id is not None
    return identity.staff_id


class TestPeriod:
    def test_reversed_period_names_end(self) -> None:
        with pytest.raises(PeriodError) as error:
            check_period(END, START)
        assert error.value.field == "end"

    def test_more_than_a_year_names_start(self) -> None:
        with pytest.raises(PeriodError) as error:
            check_period(dt.date(2025, 1, 1), dt.date(2026, 1, 2))
        assert error.value.field == "start"


class TestTeamDashboard:
    def test_only_managers_have_a_team_dashboard(self, session: Session) -> None:
        with pytest.raises(NotAManager):
            team_dashboard(session, staff_id(session, "zhangmin"), START, END)

    def test_daily_active_users_cover_every_day_and_match_the_events(self, session: Session) -> None:
        figures = team_dashboard(session, staff_id(session, "chenjing"), START, END)
        dau = figures["daily_active_users"]
        assert (dau[0]["day"], dau[-1]["day"], len(dau)) == ("2026-10-30", "2026-11-28", 30)
        assert all(p["users"] == p["staff"] + p["clients"] for p in dau)
        assert sum(p["users"] for p in dau) > 0

    def test_the_two_teams_partition_the_bank(self, session: Session) -> None:
        teams = [team_dashboard(session, staff_id(session, m), START, END) for m in ("chenjing", "zhaoli")]
        lo, hi = dt.datetime(2026, 10, 30), dt.datetime(2026, 11, 29)
        contacts = session.execute(select(func.count()).select_from(Contact)
                                   .where(Contact.happened_at >= lo, Contact.happened_at < hi)).scalar_one()
        assert sum(t["contacts"]["total"] for t in teams) == contacts
        assert sum(sum(k["count"] for k in t["contacts"]["by_kind"]) for t in teams) == contacts
        sales = session.execute(select(func.sum(Transaction.amount)).where(
            Transaction.kind.in_(("buy", "premium")), Transaction.trade_date >= START,
            Transaction.trade_date <= END)).scalar_one()
        assert sum(Decimal(t["sales_amount"]) for t in teams) == sales
        events = session.execute(select(func.count()).select_from(UsageEvent)
                                 .where(UsageEvent.happened_at >= lo, UsageEvent.happened_at < hi)).scalar_one()
        used = sum(f["count"] for t in teams for f in t["feature_usage"])
        assert 0 < used <= events
        names = [{a["name"] for a in t["advisors"]} for t in teams]
        assert not names[0] & names[1]

    def test_proposals_pushes_and_orders_are_counted_in_the_period(self, session: Session) -> None:
        figures = team_dashboard(session, staff_id(session, "chenjing"), START, END)
        assert figures["proposals"] == {"total": 3, "by_kind": {"checkup": 2, "plan_pension": 1}}
        assert figures["pushes"] == {"total": 4, "confirmed": 2}
        assert figures["orders"] == {"total": 2, "amount": "15000.75"}
        zhangmin = next(a for a in figures["advisors"] if a["name"] == "张敏")
        assert (zhangmin["proposals"], zhangmin["orders"], zhangmin["order_amount"]) == (3, 2, "15000.75")
        other = team_dashboard(session, staff_id(session, "zhaoli"), START, END)
        assert other["proposals"]["total"] == 0 and other["orders"]["total"] == 0

    def test_amounts_are_strings_with_two_decimals(self, session: Session) -> None:
        figures = team_dashboard(session, staff_id(session, "chenjing"), START, END)
        for value in [figures["sales_amount"], figures["orders"]["amount"],
                      *(a["sales_amount"] for a in figures["advisors"])]:
            assert isinstance(value, str) and value.split(".")[1].isdigit() and len(value.split(".")[1]) == 2


class TestAdvisorDashboard:
    def test_own_figures(self, session: Session) -> None:
        sid = staff_id(session, "zhangmin")
        figures = advisor_dashboard(session, sid, START, END)
        clients = session.execute(select(func.count()).select_from(Client).where(Client.advisor_id == sid)).scalar_one()
        assert figures["clients"] == clients
        assert Decimal(figures["assets_under_management"]) > 0
        assert figures["proposals"] == 3 and figures["pushes"] == {"total": 4, "confirmed": 2}
        week = figures["contacts_this_week"]
        assert (week["start"], week["end"]) == ("2026-11-22", "2026-11-28")
        assert week["total"] == sum(k["count"] for k in week["by_kind"]) <= figures["contacts"]

    def test_maturities_ahead_lie_within_the_horizon_in_date_order(self, session: Session) -> None:
        ahead = advisor_dashboard(session, staff_id(session, "zhangmin"), START, END)["maturities_ahead"]
        dates = [item["date"] for item in ahead["items"]]
        assert ahead["count"] > 0 and dates == sorted(dates)
        assert all("2026-11-28" < d <= "2026-12-28" for d in dates)

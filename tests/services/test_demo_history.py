"""The demo bank's 90 days of history (services/demo_history.py): deterministic, visible on the dashboards,
every settled order booked and on the client's statement, pushes with a real 效果回检, nothing left for the
sender, and only features that exist in the usage events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bank.db import session_scope, upgrade
from bank.demo import build
from bank.demo.generator import FEATURES
from bank.directory import who_is
from bank.models import (
    INSURANCE_CATEGORIES,
    Holding,
    Notification,
    Order,
    PortfolioPush,
    Product,
    Staff,
    Transaction,
    UsageEvent,
)
from bank.notifications import add_notification
from services.after_sale import push_review
from services.dashboard import team_dashboard
from services.demo_history import HISTORY_DAYS, HistoryExists, HistoryReport, add_history
from services.outbox import HISTORY_ROUTE, mark_history
from services.wealth import client_statement

TODAY = dt.date(2026, 11, 28)
START = TODAY - dt.timedelta(days=HISTORY_DAYS)
ROOT = Path(__file__).resolve().parents[2]
# Features the code records (actions/ and services/ through bank.usage.record_usage); checked against the
# source below, so a name dropped from the code cannot linger here.
REAL_FEATURES = {
    "checkup", "plan_investment", "plan_pension", "plan_retirement", "plan_simulation", "maturity_reminder",
    "knowledge_qa", "portfolio_push", "client_profile", "prospects", "proposal", "dashboard",
    "risk_assessment", "wealth_statement", "wealth_score", "rewards", "rewards_redeem", "human_handoff",
    "backtest", "contact_log", "learning", "team_dashboard", "broadcast", "briefing", "briefing_settings",
    "client_tags", "client_groups", "rank_clients", "statement_preference", "shelf_browse", "shelf_compare",
    "shelf_ask_advisor", "clarify",
}
COMPARED = {  # table: columns left out (unguessable tokens are secrets, not data)
    "portfolio_pushes": {"task_id"}, "orders": set(), "transactions": set(), "holdings": set(),
    "proposals": {"share_token"}, "contacts": set(), "notifications": set(), "usage_events": set(),
}


def _bank_with_history(folder: Path, seed: int) -> tuple[str, HistoryReport]:
    url = f"sqlite:///{folder / 'bank.db'}"
    build(url, seed=seed, today=TODAY, progress=False)
    return url, add_history(url, seed=seed, today=TODAY, progress=False)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, HistoryReport]:
    """A demo bank (seed 42) with its history, built once for this module; tests only read it."""
    return _bank_with_history(tmp_path_factory.mktemp("history"), 42)


@pytest.fixture
def session(history: tuple[str, HistoryReport]) -> Iterator[Session]:
    with session_scope(history[0]) as s:
        yield s


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with session_scope(url) as s:
        tables = {}
        for table, left_out in COMPARED.items():
            columns = [row[1] for row in s.execute(text(f"PRAGMA table_info({table})"))
                       if row[1] not in left_out]
            query = text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            tables[table] = [tuple(r) for r in s.execute(query)]
        return tables


class TestDeterminism:
    def test_the_same_seed_and_day_give_identical_rows(self, history: tuple[str, HistoryReport],
                                                      tmp_path: Path) -> None:
        again, report = _bank_with_history(tmp_path, 42)
        first, second = _rows(history[0]), _rows(again)
        assert {t: len(r) for t, r in first.items()} == {t: len(r) for t, r in second.items()}
        for table in COMPARED:
            assert first[table] == second[table], table
        assert report.counts == history[1].counts

    def test_another_seed_gives_another_history(self, history: tuple[str, HistoryReport],
                                                tmp_path: Path) -> None:
        other, _ = _bank_with_history(tmp_path, 43)
        assert _rows(other)["portfolio_pushes"] != _rows(history[0])["portfolio_pushes"]

    def test_a_second_history_is_refused(self, history: tuple[str, HistoryReport]) -> None:
        with pytest.raises(HistoryExists):
            add_history(history[0], seed=42, today=TODAY, progress=False)


class TestScale:
    def test_a_modest_realistic_quarter(self, history: tuple[str, HistoryReport]) -> None:
        counts = history[1].counts
        assert 30 <= counts["pushes"] <= 60
        assert 20 <= counts["proposals"] <= 40
        assert counts["confirmed"] >= counts["pushes"] * 0.35
        assert counts["declined"] > 0 and counts["expired"] > 0
        assert counts["orders_settled"] > 0 and counts["contacts"] > 0 and counts["checkups"] > 0

    def test_everything_happened_in_the_90_days_before_today(self, session: Session) -> None:
        lo, hi = dt.datetime.combine(START, dt.time()), dt.datetime.combine(TODAY, dt.time())
        made = session.execute(select(func.min(PortfolioPush.created_at),
                                      func.max(PortfolioPush.created_at))).one()
        assert lo <= made[0] and made[1] < hi
        settled = session.execute(select(func.min(Order.settled_at), func.max(Order.settled_at))).one()
        assert lo <= settled[0] and settled[1] < hi
        days = set(session.scalars(select(func.date(Order.settled_at)).where(Order.status == "filled")))
        assert len(days) >= 10  # spread over the quarter, not settled in one go


class TestDashboard:
    def test_managers_see_proposals_pushes_and_orders(self, session: Session) -> None:
        managers = session.scalars(select(Staff.id).where(Staff.role == "manager").order_by(Staff.id)).all()
        boards = [team_dashboard(session, m, START, TODAY, today=TODAY) for m in managers]
        assert sum(b["proposals"]["total"] for b in boards) > 0
        assert sum(b["pushes"]["total"] for b in boards) > 0
        assert sum(b["pushes"]["confirmed"] for b in boards) > 0
        assert sum(b["orders"]["total"] for b in boards) > 0
        assert sum(Decimal(b["orders"]["amount"]) for b in boards) > 0
        assert sum(b["after_sale"]["total"]["confirmed"] for b in boards) > 0

    def test_the_chart_shows_only_features_that_exist(self, session: Session) -> None:
        used = set(session.scalars(select(UsageEvent.feature).distinct()))
        assert used <= REAL_FEATURES, used - REAL_FEATURES
        assert {"portfolio_push", "proposal", "checkup", "contact_log"} <= used

    def test_the_generator_uses_only_real_features(self) -> None:
        assert set(FEATURES) <= REAL_FEATURES, set(FEATURES) - REAL_FEATURES

    def test_every_real_feature_is_recorded_by_the_code(self) -> None:
        listing = {ROOT / "services" / "dashboard.py", ROOT / "services" / "demo_history.py"}  # not uses
        sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("actions", "services")
                            for p in (ROOT / folder).rglob("*.py") if p not in listing)
        quoted = set(re.findall(r"\"([a-z_]+)\"", sources))
        assert quoted >= REAL_FEATURES, REAL_FEATURES - quoted


class TestSettledOrders:
    def test_every_settled_order_has_its_holding_and_transaction(self, session: Session) -> None:
        orders = session.scalars(select(Order).where(Order.status == "filled")).all()
        assert orders
        for order in orders:
            holding = session.get(Holding, order.holding_id)
            trade = session.get(Transaction, order.transaction_id)
            assert holding is not None and trade is not None, order.id
            assert holding.client_id == trade.client_id == order.client_id
            assert holding.product_id == trade.product_id == order.product_id
            assert trade.amount == order.amount and trade.kind in ("buy", "premium")
            assert order.trade_date is not None and order.settled_at.date() >= order.created_at.date()

    def test_every_settled_investment_is_on_the_clients_statement(self, session: Session) -> None:
        rows = session.execute(
            select(Order.client_id, Product.name).join(Product, Order.product_id == Product.id)
            .where(Order.status == "filled", Product.category.not_in(INSURANCE_CATEGORIES))).all()
        assert rows
        for client_id, name in rows:
            view = client_statement(session, client_id, "last_12_months", TODAY)
            assert view is not None and name in view.statement.profit_by_product, (client_id, name)

    def test_no_order_is_left_pending_long_after_its_confirmation(self, session: Session) -> None:
        week_ago = dt.datetime.combine(TODAY - dt.timedelta(days=7), dt.time())
        assert session.scalar(select(func.count()).select_from(Order).where(
            Order.status == "pending", Order.created_at < week_ago)) == 0


class TestAfterSale:
    def test_a_confirmed_push_has_a_real_review(self, session: Session) -> None:
        push = session.scalars(select(PortfolioPush).where(
            PortfolioPush.status == "confirmed",
            PortfolioPush.created_at < dt.datetime.combine(TODAY - dt.timedelta(days=30), dt.time()))
            .order_by(PortfolioPush.id)).first()
        assert push is not None
        advisor = session.get(Staff, push.advisor_id)
        assert advisor is not None
        review = push_review(session, who_is(session, advisor.wecom_userid), push.task_id, TODAY)
        assert review.confirmed >= 1 and review.invested > 0 and review.value > 0
        assert len(review.dates) >= 20 and review.total is not None
        assert len(set(review.path)) > 1  # valued day by day, not one flat line


class TestOutbox:
    def test_no_message_of_the_history_waits_for_the_sender(self, session: Session,
                                                             history: tuple[str, HistoryReport]) -> None:
        lo = dt.datetime.combine(START, dt.time())
        notes = session.scalars(select(Notification).where(Notification.created_at >= lo)).all()
        assert len(notes) == history[1].messages > 0
        assert all((n.state, n.route, n.sent_at) == ("sent", HISTORY_ROUTE, n.created_at) for n in notes)
        kinds = {n.kind for n in notes}
        assert {"order_settled", "push_confirmed"} <= kinds


class TestMarkHistory:
    def test_only_pending_messages_of_the_period_are_marked_and_none_is_deleted(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'outbox.db'}"
        upgrade(url)
        at = dt.datetime(2026, 10, 1, 9, 30)
        with session_scope(url) as s:
            old = add_notification(s, "zhangmin", "历史消息", now=at).id
            later = add_notification(s, "zhangmin", "今天的消息", now=dt.datetime(2026, 11, 28, 9)).id
            dead = add_notification(s, "liqiang", "发不出去的消息", now=at)
            dead.state = "dead"
            dead_id = dead.id
        with session_scope(url) as s:
            assert mark_history(s, dt.datetime(2026, 9, 1), dt.datetime(2026, 11, 28)) == 1
        with session_scope(url) as s:
            marked, kept = s.get(Notification, old), s.get(Notification, later)
            gone = s.get(Notification, dead_id)
            assert marked is not None and kept is not None and gone is not None
            assert (marked.state, marked.sent_at, marked.route) == ("sent", at, HISTORY_ROUTE)
            assert (kept.state, kept.sent_at) == ("pending", None)
            assert gone.state == "dead"
            assert s.scalar(select(func.count()).select_from(Notification)) == 3

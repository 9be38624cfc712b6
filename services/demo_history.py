"""The demo bank's last 90 days of the advisor loop, played through the services chat and web use, so the
first look at the dashboards shows a bank that has been working.

    python -m services.demo_history --seed 42    # add the history to a fresh demo bank (DATABASE_URL)

Advisors issue proposals and push the house model portfolios and single products (calling some clients first);
clients run check-ups and confirm, decline or answer a push too late; the settlement job settles the orders
each morning at one of its run times, so they settle on their real trade dates. Every step runs at its own
past moment (explicit `now` / `day`, else calc.clock pinned), leaves the usage event the chat would have
recorded, and the messages it put into the outbox are marked as sent at their time
(services.outbox.mark_history): they are history, never to be delivered now. The same seed and `today` give
the same rows; the share tokens and task ids stay unguessable (they are secrets, not data).
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import itertools
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from bank.contacts import record_contact
from bank.db import database_url, session_scope
from bank.directory import Identity, who_is
from bank.models import Client, ModelPortfolio, Order, PortfolioPush, Product, Staff
from bank.notifications import add_notification
from bank.usage import record_usage
from calc import clock
from calc.calendar import is_working_day
from calc.errors import CalcInputError
from calc.risk import level_rank
from services.advisor_proposals import client_proposal
from services.checkups import CheckupAnswers, checkup_report, client_facts
from services.nav_intake import revalue_holdings
from services.outbox import mark_history
from services.portfolios import CURRENT_MODELS
from services.push_decisions import advisor_notice, confirm_push, decline_push
from services.push_products import product_portfolio
from services.pushes import preview_push, push_portfolio
from services.settings import Settings, get_settings
from services.settlement import settle_orders

HISTORY_DAYS = 90
SETTLEMENT_AT = dt.time(8, 20)  # a run time of the settlement job (services/scheduler.py: minutes 20 and 50)
BATCHES, PROPOSALS, CHECKUPS = (16, 22), (24, 35), (10, 17)  # how many of each over the 90 days (low, high)
MODEL_AMOUNTS = (None, Decimal(50_000), Decimal(100_000), Decimal(200_000))  # None: the portfolio's default
SINGLE_PRODUCTS = {"WM090": Decimal(50_000), "WM365": Decimal(100_000), "BF003": Decimal(30_000),
                   "MF001": Decimal(50_000), "AN001": Decimal(20_000), "CI002": Decimal(5_000)}
ANSWERS = ("confirm", "decline", "late", "silent")
ANSWER_ODDS = (0.5, 0.2, 0.15, 0.15)  # "late": confirmed after the push expired; "silent": never answered
CALL_NOTES = ("电话沟通{name}的配置思路，客户同意先看推送方案",
              "电话介绍{name}，客户表示会在手机上查看并确认", "客户有闲置资金，电话推荐{name}")
VISIT_NOTES = ("面谈讲解资产配置建议书，客户带回家与家人商量", "客户到网点，当面解读财富体检结果和配置建议")


class HistoryExists(RuntimeError):
    """The bank already has pushes: a history is added once, to a freshly built demo bank."""


@dataclass
class HistoryReport:
    """What the history did, by kind (proposals, checkups, pushes, confirmed, orders_settled …)."""

    counts: Counter[str] = field(default_factory=Counter)
    messages: int = 0  # outbox messages recorded as sent at their time


@dataclass(frozen=True)
class _Client:
    id: int
    external_userid: str | None
    rank: int


@dataclass(frozen=True)
class _Cast:
    advisors: list[Identity]
    clients: dict[int, list[_Client]]  # by advisor staff id, in id order
    models: list[tuple[int, int]]  # (portfolio id, risk rank) of the house model portfolios


def _cast(session: Session) -> _Cast:
    advisors = [who_is(session, userid) for userid in session.scalars(
        select(Staff.wecom_userid).where(Staff.role == "advisor").order_by(Staff.id))]
    clients: dict[int, list[_Client]] = {}
    rows = session.execute(select(Client.id, Client.advisor_id, Client.wecom_external_userid,
                                  Client.risk_level).order_by(Client.id))
    for cid, advisor_id, userid, level in rows:
        clients.setdefault(advisor_id, []).append(_Client(cid, userid, level_rank(level) or 0))
    models = [(pid, level_rank(risk) or 5) for pid, risk in session.execute(
        select(ModelPortfolio.id, ModelPortfolio.risk_level).where(CURRENT_MODELS).order_by(ModelPortfolio.id))]
    return _Cast([a for a in advisors if a is not None], clients, models)


def _working_moment(rng: np.random.Generator, days: list[dt.date]) -> dt.datetime:
    """A moment of office hours (9:00-17:00) on one of `days`."""
    day = days[int(rng.integers(0, len(days)))]
    return dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=int(rng.integers(0, 8 * 60)))


def _awake(at: dt.datetime) -> dt.datetime:
    """`at`, or 8:xx of the same or next morning when it falls at night (clients answer 8:00-22:00)."""
    if at.hour < 8:
        return at.replace(hour=8)
    if at.hour >= 22:
        return (at + dt.timedelta(days=1)).replace(hour=8)
    return at


class _Player:
    """Plays the steps in time order; each step is one transaction at its own moment."""

    def __init__(self, url: str, seed: int, today: dt.date, settings: Settings, progress: bool) -> None:
        self.url, self.today, self.settings = url, today, settings
        self.rng = np.random.default_rng(seed)
        self.start = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), dt.time())
        self.end = dt.datetime.combine(today, dt.time())
        self.steps: list[tuple[dt.datetime, int, str, dict[str, Any]]] = []
        self.order = itertools.count()
        self.report = HistoryReport()
        self.bar = tqdm(total=0, desc="demo history", unit="step", disable=not progress)
        with session_scope(url) as session:
            self.cast = _cast(session)
            self.singles = [(pid, SINGLE_PRODUCTS[code]) for pid, code in session.execute(
                select(Product.id, Product.code)
                .where(Product.code.in_(list(SINGLE_PRODUCTS)), Product.on_sale).order_by(Product.id))]

    def add(self, at: dt.datetime, kind: str, **data: Any) -> None:
        """Queue a step at `at`; steps outside the 90 days (answers after today) are left out."""
        if self.start <= at < self.end:
            heapq.heappush(self.steps, (at, next(self.order), kind, data))
            self.bar.total += 1

    def plan(self) -> None:
        """The advisors' and clients' own steps and a settlement run each morning; answers follow pushes."""
        days = [self.start.date() + dt.timedelta(days=i) for i in range(HISTORY_DAYS)]
        working = [d for d in days if is_working_day(d)]
        for _ in range(int(self.rng.integers(*BATCHES))):
            self.add(_working_moment(self.rng, working), "push", advisor=self._advisor())
        for _ in range(int(self.rng.integers(*PROPOSALS))):
            self.add(_working_moment(self.rng, working), "proposal", advisor=self._advisor())
        everyone = [c for advisor in self.cast.advisors
                    for c in self.cast.clients.get(advisor.staff_id or 0, []) if c.external_userid]
        for _ in range(int(self.rng.integers(*CHECKUPS))):
            at = dt.datetime.combine(days[int(self.rng.integers(0, len(days)))], dt.time(8)) + dt.timedelta(
                minutes=int(self.rng.integers(0, 14 * 60)))
            self.add(at, "checkup", client=everyone[int(self.rng.integers(0, len(everyone)))])
        for day in days[1:]:
            self.add(dt.datetime.combine(day, SETTLEMENT_AT), "settle")

    def _advisor(self) -> Identity:
        """One of the advisors, drawn from the seeded generator."""
        return self.cast.advisors[int(self.rng.integers(0, len(self.cast.advisors)))]

    def play(self) -> HistoryReport:
        """Run the steps in time order, revalue what was bought at today's NAV, mark messages as history."""
        try:
            while self.steps:
                at, _, kind, data = heapq.heappop(self.steps)
                if kind == "settle":
                    self._settle(at)
                else:
                    with clock.frozen(at), session_scope(self.url) as session:
                        getattr(self, f"_{kind}")(session, at, **data)
                self.bar.update(1)
            with session_scope(self.url) as session:
                bought = set(session.scalars(select(Order.product_id).where(Order.status == "filled")))
                revalue_holdings(session, bought, self.today)  # settled at their day's NAV, worth today's now
                self.report.messages = mark_history(session, self.start, self.end)
        finally:
            self.bar.close()
        return self.report

    # --- the steps ------------------------------------------------------------------------------------------
    def _push(self, session: Session, at: dt.datetime, advisor: Identity) -> None:
        """Preview a model portfolio or a single product for 2-5 of the advisor's clients, call some, push."""
        if self.singles and self.rng.random() < 0.3:
            product_id, amount = self.singles[int(self.rng.integers(0, len(self.singles)))]
            product = session.get(Product, product_id)
            assert product is not None
            portfolio_id = product_portfolio(session, [product], [1.0], advisor.staff_id).id
            rank = level_rank(product.risk_level) or 5
        else:
            portfolio_id, rank = self.cast.models[int(self.rng.integers(0, len(self.cast.models)))]
            amount = MODEL_AMOUNTS[int(self.rng.integers(0, len(MODEL_AMOUNTS)))]
        pool = [c.id for c in self.cast.clients.get(advisor.staff_id or 0, [])
                if c.external_userid and c.rank >= rank]
        if not pool:
            return
        picked = self.rng.choice(pool, size=min(int(self.rng.integers(2, 6)), len(pool)), replace=False)
        preview_at = at - dt.timedelta(minutes=2)
        chosen = [int(c) for c in sorted(picked)]
        preview = preview_push(session, advisor, portfolio_id, chosen, amount, preview_at)
        record_usage(session, advisor.wecom_id, advisor.role, "portfolio_push", at=preview_at, detail={
            "step": "preview", "portfolio": preview.portfolio_name, "suitable": len(preview.suitable),
            "skipped": len(preview.skipped)})
        if not preview.suitable:
            return
        for recipient in preview.suitable:
            if self.rng.random() < 0.5:
                note = CALL_NOTES[int(self.rng.integers(0, len(CALL_NOTES)))]
                note = note.format(name=preview.portfolio_name)
                self._contact(session, advisor, recipient.client_id, "phone", note,
                              at - dt.timedelta(minutes=int(self.rng.integers(10, 180))))
        result = push_portfolio(session, advisor, portfolio_id, [r.client_id for r in preview.suitable],
                                preview.amount, at)
        record_usage(session, advisor.wecom_id, advisor.role, "portfolio_push", at=at, detail={
            "step": "send", "portfolio": result.portfolio_name, "sent": len(result.sent),
            "skipped": len(result.skipped_with_reasons)})
        self.report.counts.update(push_batches=1, pushes=len(result.sent))
        for sent in result.sent:
            answer = str(self.rng.choice(ANSWERS, p=ANSWER_ODDS))
            if answer == "late":
                when = sent.expires_at + dt.timedelta(hours=float(self.rng.uniform(4, 96)))
            else:
                when = at + dt.timedelta(hours=float(self.rng.uniform(0.5, 72)))
            if answer != "silent":
                self.add(_awake(when), "answer", task_id=sent.task_id, client_id=sent.client_id,
                         userid=sent.external_userid, confirm=answer != "decline")

    def _answer(self, session: Session, at: dt.datetime, task_id: str, client_id: int, userid: str | None,
                confirm: bool) -> None:
        """The client presses 确认 (orders, or refused / expired) or 暂不; the advisor is told."""
        result = (confirm_push(session, task_id, client_id, at, settings=self.settings) if confirm
                  else decline_push(session, task_id, client_id, at))
        if notice := advisor_notice(result):
            kind, text = notice
            add_notification(session, result.advisor_userid, text, kind=kind, priority=0, now=at)
        if userid:
            record_usage(session, userid, "client", "portfolio_push", at=at, detail={
                "step": "confirm" if confirm else "decline", "status": result.status})
        self.report.counts[result.status] += 1
        self.report.counts["orders"] += len(result.orders) if result.created else 0

    def _proposal(self, session: Session, at: dt.datetime, advisor: Identity) -> None:
        """Look a client up, issue a check-up (or simulation plan) proposal, maybe explain it in person."""
        mine = self.cast.clients.get(advisor.staff_id or 0, [])
        client = mine[int(self.rng.integers(0, len(mine)))]
        kind = "checkup" if self.rng.random() < 0.7 else "plan_simulation"
        record_usage(session, advisor.wecom_id, advisor.role, "client_profile",
                     at=at - dt.timedelta(minutes=5), detail={"outcome": "found"})
        try:
            made = client_proposal(session, advisor, client.id, kind, at.date())
        except CalcInputError:
            return
        record_usage(session, advisor.wecom_id, advisor.role, "proposal", at=at, detail={"kind": made.kind})
        self.report.counts["proposals"] += 1
        if self.rng.random() < 0.5:
            note = VISIT_NOTES[int(self.rng.integers(0, len(VISIT_NOTES)))]
            self._contact(session, advisor, client.id, "visit", note, at + dt.timedelta(minutes=30))

    def _checkup(self, session: Session, at: dt.datetime, client: _Client) -> None:
        """A client runs their own check-up on what the bank knows of them."""
        facts = client_facts(session, client.id, at.date())
        answers = CheckupAnswers(facts.age, facts.monthly_income, facts.monthly_expenses, facts.dependants,
                                 facts.holdings, facts.insurance)
        try:
            report = checkup_report(session, client.id, answers, at.date(), client_name=facts.name)
        except CalcInputError:
            return
        assert client.external_userid is not None
        record_usage(session, client.external_userid, "client", "checkup", at=at,
                     detail={"known_client": True, "score": report.score})
        self.report.counts["checkups"] += 1

    def _contact(self, session: Session, advisor: Identity, client_id: int, kind: str, note: str,
                 at: dt.datetime) -> None:
        step = "等客户确认推送后回访" if kind == "phone" else "一周后电话跟进"
        record_contact(session, advisor, client_id, kind, note, next_step=step,
                       happened_at=at.replace(microsecond=0), next_step_on=at.date() + dt.timedelta(days=7))
        record_usage(session, advisor.wecom_id, advisor.role, "contact_log", at=at, detail={"kind": kind})
        self.report.counts["contacts"] += 1

    def _settle(self, at: dt.datetime) -> None:
        """The settlement job's morning run, on the days an order waits (it finds nothing on the others)."""
        with session_scope(self.url) as session:
            if session.scalar(select(Order.id).where(Order.status == "pending").limit(1)) is None:
                return
        with clock.frozen(at):
            done = settle_orders(at, self.settings, self.url)
        self.report.counts.update(orders_settled=len(done.settled), orders_failed=len(done.failed))


def add_history(url: str | None = None, seed: int = 42, today: dt.date | None = None,
                progress: bool = True) -> HistoryReport:
    """Play the last HISTORY_DAYS days before `today` (default: today) on the demo bank at `url`.

    Raises
    ------
    HistoryExists
        The bank already has pushes (a history is added once, right after the demo bank is built).
    """
    url = url or database_url()
    with session_scope(url) as session:
        if session.scalar(select(PortfolioPush.id).limit(1)) is not None:
            raise HistoryExists("the bank already has pushes; the history is added to a fresh demo bank only")
    # The history is of a bank whose settlement job ran, whatever this process's settings say.
    settings = get_settings().model_copy(update={"settlement_enabled": True})
    player = _Player(url, seed, today or clock.today(), settings, progress)
    player.plan()
    return player.play()


def summary(report: HistoryReport) -> str:
    """One line for the console.

    >>> summary(HistoryReport(Counter(pushes=40, confirmed=18, proposals=30), 120))
    '近90天：建议书30份，推送40次（确认18、暂不0、过期0），成交订单0笔，联系0次，历史消息120条'
    """
    c = report.counts
    return (f"近{HISTORY_DAYS}天：建议书{c['proposals']}份，推送{c['pushes']}次（确认{c['confirmed']}、"
            f"暂不{c['declined']}、过期{c['expired']}），成交订单{c['orders_settled']}笔，联系{c['contacts']}次，"
            f"历史消息{report.messages}条")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.demo_history",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    try:
        report = add_history(seed=args.seed, today=args.today)
    except HistoryExists as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    print(summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

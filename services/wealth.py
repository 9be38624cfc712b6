"""A known client's wealth statement, health score and rewards, from holdings, transactions and NAVs.

The ledger rebuilds each investment's value on every weekday: funds and gold at units x NAV, deposits,
理财 and cash management by lot at their expected rate (simple interest, the way the demo bank books them).
Insurance is left out of the statement (premiums buy cover, not returns). The benchmark is a buy-and-hold mix
of the bank's CSI 300 index fund and its rate-bond index fund, weighted by the client's risk level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.models import (
    CATEGORY_NAMES,
    INSURANCE_CATEGORIES,
    Client,
    Contact,
    Holding,
    NavPoint,
    Product,
    Transaction,
    UsageEvent,
)
from bank.models import Identity as IdentityRow
from calc.checkup import CATEGORY_CLASS, run_checkup
from calc.positions import lot_values
from calc.rewards import RewardsResult, evaluate_rewards
from calc.score import HealthScore, allocation_score, health_score
from calc.statement import Statement, period_bounds, statement
from services.checkups import checkup_input, client_facts, level_for_checkup, suitable_products
from services.house_view import house_allocation

PERIOD_NAMES = {"this_month": "本月", "this_year": "今年以来", "last_12_months": "近一年", "since_first": "持有以来"}
DEFAULT_PERIOD = "this_year"
BENCHMARK_EQUITY = "IF001"
BENCHMARK_BOND = "BF006"
BENCHMARK_EQUITY_WEIGHT = {"C1": 0.0, "C2": 0.1, "C3": 0.3, "C4": 0.5, "C5": 0.7}
"""Share of the CSI 300 fund in the benchmark by client level (the rest in the rate-bond index fund)."""
OUTFLOW_KINDS = ("sell", "maturity", "dividend")


def _grid(first: dt.date, today: dt.date) -> pd.DatetimeIndex:
    days = pd.bdate_range(first, today)
    return days.union(pd.DatetimeIndex([pd.Timestamp(today)]))


@dataclass(frozen=True)
class Ledger:
    """A client's investment flows (date, product, category, amount; > 0 in) and daily valuations."""

    transactions: pd.DataFrame
    valuations: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.transactions.empty and self.valuations.empty


def client_ledger(session: Session, client_id: int, today: dt.date) -> Ledger:
    """Rebuild the daily value of every (non-insurance) product client `client_id` traded, up to `today`."""
    rows = session.execute(
        select(Transaction.trade_date, Transaction.kind, Transaction.amount, Transaction.units, Product.id,
               Product.name, Product.category, Product.expected_return_low, Product.expected_return_high)
        .join(Product, Transaction.product_id == Product.id)
        .where(Transaction.client_id == client_id, Transaction.trade_date <= today,
               Product.category.not_in(INSURANCE_CATEGORIES))
        .order_by(Transaction.trade_date, Transaction.id)
    ).all()
    columns = ["date", "product", "category", "amount"]
    if not rows:
        return Ledger(pd.DataFrame(columns=columns), pd.DataFrame(columns=["date", "product", "category", "value"]))
    trades = pd.DataFrame([{"date": pd.Timestamp(r[0]), "kind": r[1], "amount": float(r[2]),
                            "units": float(r[3]) if r[3] is not None else None, "product_id": r[4], "product": r[5],
                            "category": r[6], "low": r[7], "high": r[8]} for r in rows])
    grid = _grid(trades["date"].min().date(), today)
    frames = []
    for pid, group in trades.groupby("product_id", sort=False):
        first = group.iloc[0]
        navs = session.execute(select(NavPoint.date, NavPoint.nav).where(NavPoint.product_id == pid)
                               .order_by(NavPoint.date)).all()
        if navs:
            nav = pd.Series([float(n) for _, n in navs], index=pd.DatetimeIndex([d for d, _ in navs]))
            nav = nav.reindex(nav.index.union(grid)).ffill().bfill().reindex(grid)
            signed = group.apply(lambda t: (t["units"] or 0.0) * (-1 if t["kind"] in ("sell", "maturity") else
                                                                   (1 if t["kind"] == "buy" else 0)), axis=1)
            units = signed.groupby(group["date"]).sum().reindex(grid.union(group["date"])).fillna(0).cumsum()
            values = (units.reindex(grid).ffill().fillna(0) * nav).to_numpy()
        else:
            rate = ((first["low"] or 0.0) + (first["high"] if first["high"] is not None else (first["low"] or 0.0))) / 2
            values = lot_values(group, float(rate), grid)
        frames.append(pd.DataFrame({"date": grid, "product": first["product"], "category": first["category"],
                                    "value": values}))
    valuations = pd.concat(frames, ignore_index=True)
    sign = trades["kind"].map(lambda k: 1.0 if k == "buy" else (-1.0 if k in OUTFLOW_KINDS else 0.0))
    flows = trades.assign(amount=trades["amount"] * sign)[columns]
    return Ledger(flows[flows["amount"] != 0].reset_index(drop=True), valuations)


def benchmark_series(session: Session, level: str | None, start: dt.date, end: dt.date) -> tuple[pd.Series, str] | None:
    """A buy-and-hold mix of the CSI 300 and rate-bond index funds from `start` (1.0) to `end`, and its name."""
    weight = BENCHMARK_EQUITY_WEIGHT.get(level or "C3", 0.3)
    series = {}
    for code in (BENCHMARK_EQUITY, BENCHMARK_BOND):
        rows = session.execute(
            select(NavPoint.date, NavPoint.nav).join(Product, NavPoint.product_id == Product.id)
            .where(Product.code == code, NavPoint.date >= start - dt.timedelta(days=10), NavPoint.date <= end)
            .order_by(NavPoint.date)).all()
        if len(rows) < 2:
            return None
        series[code] = pd.Series([float(n) for _, n in rows], index=pd.DatetimeIndex([d for d, _ in rows]))
    index = series[BENCHMARK_EQUITY].index.union(series[BENCHMARK_BOND].index)
    index = index[(index <= pd.Timestamp(end))]
    grid = index.union(pd.DatetimeIndex([pd.Timestamp(start)]))
    grid = grid[grid >= pd.Timestamp(start)]
    aligned = {code: s.reindex(s.index.union(grid)).ffill().bfill().reindex(grid) for code, s in series.items()}
    mix = (weight * aligned[BENCHMARK_EQUITY] / aligned[BENCHMARK_EQUITY].iloc[0]
           + (1 - weight) * aligned[BENCHMARK_BOND] / aligned[BENCHMARK_BOND].iloc[0])
    name = f"{weight:.0%}沪深300指数基金+{1 - weight:.0%}利率债指数基金" if weight else "利率债指数基金"
    return mix, name


@dataclass(frozen=True)
class StatementView:
    """A statement with what the chat needs to word it."""

    period: str
    period_name: str
    statement: Statement
    benchmark_name: str | None
    top_products: list[tuple[str, float]]


def client_statement(session: Session, client_id: int, period: str, today: dt.date) -> StatementView | None:
    """The statement of client `client_id` for `period` (None when they have no investments on record)."""
    ledger = client_ledger(session, client_id, today)
    if ledger.empty:
        return None
    client = session.get(Client, client_id)
    first = min(pd.concat([ledger.transactions["date"], ledger.valuations["date"]]).min().date(), today)
    start, end = period_bounds(period, today, first)
    bench = benchmark_series(session, client.risk_level if client else None, start, end)
    result = statement(ledger.transactions, ledger.valuations, period, today, bench[0] if bench else None)
    ranked = sorted(((p, v) for p, v in result.profit_by_product.items() if abs(v) >= 0.005), key=lambda kv: -abs(kv[1]))
    return StatementView(period, PERIOD_NAMES[period], result, bench[1] if bench else None, ranked[:3])


def _holdings_by_category(valuations: pd.DataFrame, day: dt.date) -> dict[str, float]:
    if valuations.empty:
        return {}
    v = valuations[valuations["date"] <= pd.Timestamp(day)]
    last = v.sort_values("date").groupby("product").tail(1)
    return {k: float(x) for k, x in last.groupby("category")["value"].sum().items() if x > 0}


def _days_since(day: dt.date | None, today: dt.date) -> int | None:
    return None if day is None else max(0, (today - day).days)


def client_health_score(session: Session, client_id: int, today: dt.date) -> HealthScore:
    """The 财富健康分 of client `client_id` on `today` (calc.score.health_score over bank/ data)."""
    facts = client_facts(session, client_id, today)
    client = session.get(Client, client_id)
    assert client is not None
    choice = level_for_checkup(facts.risk)
    result = run_checkup(checkup_input(
        age=facts.age, monthly_income=facts.monthly_income, monthly_expenses=facts.monthly_expenses,
        dependants=facts.dependants, holdings=facts.holdings, risk_level=choice.level, facts=facts,
        insurance=facts.insurance), house_view=house_allocation(session))
    risks = session.scalars(select(Product.risk_level).join(Holding, Holding.product_id == Product.id)
                            .where(Holding.client_id == client_id)).all()
    since = today - dt.timedelta(days=90)
    last_contact = session.scalar(select(func.max(Contact.happened_at)).where(Contact.client_id == client_id))
    last_trade = session.scalar(select(func.max(Transaction.trade_date)).where(
        Transaction.client_id == client_id, Transaction.trade_date <= today))
    contacts = session.scalar(select(func.count()).select_from(Contact).where(
        Contact.client_id == client_id, Contact.happened_at >= dt.datetime.combine(since, dt.time())))
    trades = session.scalar(select(func.count()).select_from(Transaction).where(
        Transaction.client_id == client_id, Transaction.trade_date > since, Transaction.trade_date <= today))
    logins = _login_days(session, client, since)
    maturing = session.scalar(select(func.coalesce(func.sum(Holding.market_value), 0)).where(
        Holding.client_id == client_id, Holding.maturity_date >= today,
        Holding.maturity_date <= today + dt.timedelta(days=90)))
    bank_assets = sum(facts.holdings.values())
    score = health_score(
        checkup=result, client_level=choice.level, holding_risks=list(risks),
        days_since_contact=_days_since(last_contact.date() if last_contact else None, today),
        days_since_login=_days_since(client.last_login_at.date() if client.last_login_at else None, today),
        days_since_transaction=_days_since(last_trade, today), contacts_90d=int(contacts or 0),
        logins_90d=logins, transactions_90d=int(trades or 0), monthly_income=facts.monthly_income,
        bank_assets=bank_assets, maturing_90d=float(maturing or 0), age=max(18, min(100, facts.age)))
    # Suggest only categories the shelf holds at or below the client's level (C2 gets a mixed sleeve from
    # calc, but a bank whose mixed funds are all R3 has nothing to fill it with).
    offered = [c for c in score.raise_with if suitable_products(session, choice.level, [c], 1)]
    return replace(score, raise_with=offered)


def _login_days(session: Session, client: Client, since: dt.date) -> int:
    """Days with any use of the bot (or a recorded login) in the window: the closest thing to logins we keep."""
    ids = session.scalars(select(IdentityRow.wecom_id).where(IdentityRow.client_id == client.id)).all()
    days: set[dt.date] = set()
    if ids:
        stamps = session.scalars(select(UsageEvent.happened_at).where(
            UsageEvent.actor_id.in_(ids), UsageEvent.happened_at >= dt.datetime.combine(since, dt.time()))).all()
        days = {s.date() for s in stamps}
    if client.last_login_at and client.last_login_at.date() >= since:
        days.add(client.last_login_at.date())
    return len(days)


def client_rewards(session: Session, client_id: int, today: dt.date) -> RewardsResult:
    """成长权益 of client `client_id`: a year ago vs today for assets and allocation, and time since last activity."""
    facts = client_facts(session, client_id, today)
    client = session.get(Client, client_id)
    assert client is not None
    ledger = client_ledger(session, client_id, today)
    year_ago = today - dt.timedelta(days=365)
    choice = level_for_checkup(facts.risk)
    view = house_allocation(session)

    def score_for(holdings: Mapping[str, float]) -> float:
        result = run_checkup(checkup_input(
            age=facts.age, monthly_income=facts.monthly_income, monthly_expenses=facts.monthly_expenses,
            dependants=facts.dependants, holdings=holdings, insurance=facts.insurance, risk_level=choice.level),
            house_view=view)
        return allocation_score(result, [], choice.level).value

    before = _holdings_by_category(ledger.valuations, year_ago)
    now = {k: v for k, v in facts.holdings.items() if k in CATEGORY_NAMES and CATEGORY_CLASS[k] != "insurance"}
    last_contact = session.scalar(select(func.max(Contact.happened_at)).where(
        Contact.client_id == client_id, Contact.happened_at < dt.datetime.combine(today, dt.time())))
    last_trade = session.scalar(select(func.max(Transaction.trade_date)).where(
        Transaction.client_id == client_id, Transaction.trade_date < today))
    candidates = [d for d in (client.last_login_at.date() if client.last_login_at else None,
                              last_contact.date() if last_contact else None, last_trade) if d and d < today]
    last_active = max(candidates) if candidates else client.created_at.date()
    return evaluate_rewards(sum(before.values()), sum(now.values()), score_for(before), score_for(now),
                            min(last_active, today), today)

"""售后检视: how a push has really done since the day it was made, per client and in total, against a benchmark
and against what each client held before (效果回检 of what was sold, not a back-test of the model).

A push to many clients is one batch: the rows `push_portfolio` wrote in one call (same advisor, portfolio and
time). Each confirming client is valued on the trading days from the push date to `today`:

- a settled fund order at its real units x the NAV (cash at its amount until its trade date; on the push date
  itself every order counts at its amount, so 1.0 is the money committed and a fee shows the next day);
- an order not settled yet as if the pushed weight of the amount had been bought at the NAV of the push date;
- deposits, 理财 and cash management at the midpoint of their expected rate, simple interest from the value
  date (services/wealth.py's convention); insurance is left out (a premium buys cover, not returns).

The client's "NAV" is value / amount invested (1.0 on the push date); the batch total is the amount-weighted
sum. "Before" is what the client held at the push date (transactions before it), held unchanged over the same
days. Return, maximum drawdown and — only for a year or more — annualised return come from calc.performance
on these series. Failed and cancelled orders are not invested and count for nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import can_see_client
from bank.directory import Identity
from bank.masking import mask_name
from bank.models import (
    INSURANCE_CATEGORIES,
    Client,
    NavPoint,
    Order,
    PortfolioPush,
    Product,
    Staff,
    Transaction,
)
from calc.calendar import days_between
from calc.money import round_yuan
from calc.performance import TRADING_DAYS, annualized_return, max_drawdown, total_return
from calc.positions import lot_values
from calc.settlement import PRICED_CATEGORIES
from services.portfolios import find_portfolio, portfolio_lines
from services.pushes import PushNotFound, load_push, push_amount
from services.settings import get_settings
from services.wealth import BENCHMARK_BOND, BENCHMARK_EQUITY, benchmark_series

LIVE = ("pending", "submitted", "filled")
BENCHMARKS = {"level": "按组合风险等级的股债混合", "csi300": "沪深300指数基金", "bond": "利率债指数基金"}
"""Benchmark choices besides any catalogue product code: the mix services/wealth.py uses for statements (by the
portfolio's risk level: R2 → the C2 mix), the CSI 300 index fund alone, or the rate-bond index fund alone."""
DEFAULT_BENCHMARK = "level"
YEAR_DAYS = 365
"""A period of at least this many calendar days gets an annualised return; shorter ones do not."""


@dataclass(frozen=True)
class Figures:
    """calc.performance on one value path: fractions, drawdown negative, annualised only for a year or more."""

    total_return: float
    max_drawdown: float
    annualized_return: float | None


@dataclass(frozen=True)
class OrderBasis:
    """How one order was valued: its real units and NAV, or an estimate from the push date."""

    product: str
    code: str
    amount: Decimal
    status: str
    units: Decimal | None
    nav: Decimal | None
    trade_date: dt.date | None
    basis: str  # 成交份额 | 按推送日净值估算 | 按预期收益中值计息


@dataclass(frozen=True)
class ClientReview:
    """One confirming client's result since the push (`path` and `before_path` are NAVs, 1.0 at the start)."""

    push_id: int
    task_id: str
    client_id: int
    client_name: str  # masked
    invested: Decimal
    value: Decimal
    figures: Figures
    path: list[float]
    before: Figures | None
    before_path: list[float] | None
    orders: list[OrderBasis] = field(default_factory=list)

    @property
    def profit(self) -> Decimal:
        return self.value - self.invested


@dataclass(frozen=True)
class PushReview:
    """A push batch since the day it was made: who it went to, who confirmed, per client and the total."""

    portfolio_name: str
    risk_level: str
    advisor_name: str
    start: dt.date
    end: dt.date
    pushed: int
    confirmed: int
    invested: Decimal
    value: Decimal
    dates: list[str]
    total: Figures | None
    path: list[float]
    benchmark_name: str
    benchmark: Figures | None
    benchmark_path: list[float]
    before: Figures | None
    before_path: list[float] | None
    clients: list[ClientReview]

    @property
    def profit(self) -> Decimal:
        return self.value - self.invested


def figures(nav: pd.Series, days: int, periods_per_year: float = TRADING_DAYS) -> Figures:
    """Return, max drawdown and (for `days` >= 365) annualised return of a value path, by calc.performance.

    >>> f = figures(pd.Series([1.0, 1.1, 0.99, 1.05]), 30)
    >>> round(f.total_return, 4), round(f.max_drawdown, 4), f.annualized_return
    (0.05, -0.1, None)
    >>> round(figures(pd.Series([1.0, 1.21]), 730, periods_per_year=0.5).annualized_return, 10)  # 2 years, 1 period
    0.1
    """
    annual = annualized_return(nav, periods_per_year) if days >= YEAR_DAYS and len(nav) > 1 else None
    return Figures(total_return(nav), max_drawdown(nav).depth, annual)


def review_grid(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    """The push date, then every trading day after it up to `end`.

    >>> [d.day for d in review_grid(dt.date(2026, 11, 28), dt.date(2026, 12, 2))]
    [28, 30, 1, 2]
    """
    days = [start, *(d for d in days_between(start + dt.timedelta(days=1), end))]
    return pd.DatetimeIndex(days)


class Navs:
    """NAV series of products on a grid, forward-filled (a later first NAV is back-filled), loaded once each."""

    def __init__(self, session: Session, grid: pd.DatetimeIndex) -> None:
        self.session, self.grid, self.cache = session, grid, {}

    def __call__(self, product_id: int) -> pd.Series | None:
        if product_id not in self.cache:
            rows = self.session.execute(select(NavPoint.date, NavPoint.nav).where(
                NavPoint.product_id == product_id, NavPoint.date <= self.grid[-1].date()).order_by(NavPoint.date)).all()
            if not rows:
                self.cache[product_id] = None
            else:
                nav = pd.Series([float(n) for _, n in rows], index=pd.DatetimeIndex([d for d, _ in rows]))
                self.cache[product_id] = nav.reindex(nav.index.union(self.grid)).ffill().bfill().reindex(self.grid)
        return self.cache[product_id]


def expected_rate(product: Product) -> float:
    """The midpoint of a product's expected return range (0 without one)."""
    low = product.expected_return_low or 0.0
    return (low + (product.expected_return_high if product.expected_return_high is not None else low)) / 2


def _accrued(amount: float, rate: float, since: dt.date, grid: pd.DatetimeIndex) -> pd.Series:
    elapsed = ((grid - pd.Timestamp(since)).days.to_numpy().clip(min=0)).astype(float)
    return pd.Series(amount * (1 + rate * elapsed / 365.0), index=grid)


def _order_value(order: Order, product: Product, start: dt.date, navs: Navs) -> tuple[pd.Series, OrderBasis]:
    """The value path of one live order and how it was valued."""
    amount, grid = float(order.amount), navs.grid
    nav = navs(product.id) if product.category in PRICED_CATEGORIES else None
    settled = order.status == "filled"
    if nav is not None and settled and order.units is not None and order.trade_date is not None:
        value = (float(order.units) * nav).where(grid >= pd.Timestamp(order.trade_date), amount)
        basis = "成交份额"
    elif nav is not None:
        value = amount * nav / nav.iloc[0]
        basis = "按推送日净值估算"
    else:
        since = (order.confirm_date or order.trade_date) if settled else start
        value = _accrued(amount, expected_rate(product), since or start, grid)
        basis = "按预期收益中值计息"
    value.iloc[0] = amount  # the push date is the money committed: a fee paid on that day shows the day after
    real = basis == "成交份额"
    return value, OrderBasis(product.name, product.code, Decimal(order.amount), order.status,
                             Decimal(order.units) if real else None, Decimal(order.nav) if real else None,
                             order.trade_date if settled else None, basis)


def _held_before(session: Session, client_id: int, start: dt.date, navs: Navs) -> pd.Series | None:
    """The value path of what the client held at `start` (trades before it, insurance left out), unchanged."""
    rows = session.execute(
        select(Transaction.trade_date, Transaction.kind, Transaction.amount, Transaction.units, Product)
        .join(Product, Transaction.product_id == Product.id)
        .where(Transaction.client_id == client_id, Transaction.trade_date < start,
               Product.category.not_in(INSURANCE_CATEGORIES)).order_by(Transaction.trade_date, Transaction.id)).all()
    by_product: dict[int, list] = defaultdict(list)
    for row in rows:
        by_product[row[4].id].append(row)
    total = pd.Series(0.0, index=navs.grid)
    for trades in by_product.values():
        product = trades[0][4]
        nav = navs(product.id) if product.category in PRICED_CATEGORIES else None
        if nav is not None:
            sign = {"buy": 1.0, "sell": -1.0, "maturity": -1.0}
            units = sum(sign.get(kind, 0.0) * float(units or 0) for _, kind, _, units, _ in trades)
            total += max(units, 0.0) * nav
        else:
            frame = pd.DataFrame({"date": [pd.Timestamp(t[0]) for t in trades], "kind": [t[1] for t in trades],
                                  "amount": [float(t[2]) for t in trades],
                                  "units": pd.Series([float(t[3]) if t[3] is not None else None for t in trades],
                                                     dtype=object)})
            total += lot_values(frame, expected_rate(product), navs.grid)
    return total if total.iloc[0] > 0.005 else None


def _client_review(session: Session, push: PortfolioPush, client: Client, navs: Navs) -> ClientReview | None:
    """One confirming client's result; None when nothing of theirs is invested (no live orders, or insurance)."""
    rows = session.execute(select(Order, Product).join(Product, Order.product_id == Product.id)
                           .where(Order.push_id == push.id, Order.status.in_(LIVE),
                                  Product.category.not_in(INSURANCE_CATEGORIES)).order_by(Order.id)).all()
    return orders_review(session, [(o, p) for o, p in rows], client, navs, push.id, push.task_id)


def orders_review(session: Session, rows: list[tuple[Order, Product]], client: Client, navs: Navs,
                  push_id: int = 0, task_id: str = "") -> ClientReview | None:
    """A client's result from these orders since the grid's first day (a push's, or a proposal's follow-up
    orders); None without any."""
    start, days = navs.grid[0].date(), (navs.grid[-1] - navs.grid[0]).days
    if not rows:
        return None
    parts = [_order_value(order, product, start, navs) for order, product in rows]
    value = sum((p[0] for p in parts), pd.Series(0.0, index=navs.grid))
    invested = sum((Decimal(order.amount) for order, _ in rows), Decimal(0))
    nav = value / float(invested)
    held = _held_before(session, client.id, start, navs)
    before_nav = held / held.iloc[0] if held is not None else None
    return ClientReview(push_id, task_id, client.id, mask_name(client.name), invested,
                        round_yuan(float(value.iloc[-1])), figures(nav, days), _rounded(nav),
                        figures(before_nav, days) if before_nav is not None else None,
                        _rounded(before_nav) if before_nav is not None else None, [p[1] for p in parts])


def _rounded(path: pd.Series) -> list[float]:
    return [round(float(v), 8) for v in path]


def benchmark_path(session: Session, choice: str | None, risk_level: str, grid: pd.DatetimeIndex,
                   navs: Navs | None = None) -> tuple[pd.Series | None, str]:
    """The chosen benchmark as a NAV path on `grid` (1.0 at the start) and its name; (None, name) without data.

    `choice`: "level", "csi300", "bond" or a catalogue product code (BENCHMARKS); None takes the setting
    AFTER_SALE_BENCHMARK (default "level"). Raises ValueError for anything else.
    """
    choice = (choice or get_settings().after_sale_benchmark or DEFAULT_BENCHMARK).strip()
    navs = navs or Navs(session, grid)
    if choice == "level":
        level = "C" + risk_level[-1] if risk_level[-1:].isdigit() else "C3"
        found = benchmark_series(session, level, grid[0].date(), grid[-1].date())
        if found is None:
            return None, BENCHMARKS["level"]
        mix, name = found
        path = mix.reindex(mix.index.union(grid)).ffill().bfill().reindex(grid)
        return path / path.iloc[0], name
    code = {"csi300": BENCHMARK_EQUITY, "bond": BENCHMARK_BOND}.get(choice, choice.upper())
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise ValueError(f"benchmark: must be one of {', '.join(BENCHMARKS)} or a product code, got {choice!r}")
    nav = navs(product.id)
    return (nav / nav.iloc[0] if nav is not None else None), product.name


def _batch(session: Session, push: PortfolioPush) -> list[PortfolioPush]:
    """The pushes written with `push` in one call (same advisor, portfolio and moment), in id order."""
    return list(session.scalars(select(PortfolioPush).where(
        PortfolioPush.advisor_id == push.advisor_id, PortfolioPush.portfolio_id == push.portfolio_id,
        PortfolioPush.created_at == push.created_at).order_by(PortfolioPush.id)))


def review_pushes(session: Session, pushes: list[PortfolioPush], today: dt.date,
                  benchmark: str | None = None, compare: bool = True) -> PushReview:
    """售后检视 of `pushes` (one batch, or one client's push) from the day they were made to `today`; without
    `compare` the benchmark is left out (the dashboard's summary needs none)."""
    first = pushes[0]
    start = first.created_at.date()
    grid = review_grid(start, max(today, start))
    navs = Navs(session, grid)
    portfolio = find_portfolio(session, first.portfolio_id)
    risk = max(line.risk_level for line in portfolio_lines(portfolio, push_amount(first, portfolio)))
    reviews = []
    for push in pushes:
        client = session.get(Client, push.client_id)
        if push.status == "confirmed" and client is not None and (r := _client_review(session, push, client, navs)):
            reviews.append(r)
    invested = sum((r.invested for r in reviews), Decimal(0))
    days = (grid[-1] - grid[0]).days
    total = before = before_path = None
    path: list[float] = []
    if reviews:
        weighted = sum(pd.Series(r.path, index=grid) * float(r.invested) for r in reviews) / float(invested)
        total, path = figures(weighted, days), _rounded(weighted)
        had = [r for r in reviews if r.before_path is not None]
        if had:
            weight = float(sum(r.invested for r in had))
            held = sum(pd.Series(r.before_path, index=grid) * float(r.invested) for r in had) / weight
            before, before_path = figures(held, days), _rounded(held)
    bench, bench_name = benchmark_path(session, benchmark, risk, grid, navs) if compare else (None, "")
    advisor = session.get(Staff, first.advisor_id)
    return PushReview(
        portfolio.name, risk, advisor.name if advisor else "", start, grid[-1].date(), len(pushes),
        sum(p.status == "confirmed" for p in pushes), invested, sum((r.value for r in reviews), Decimal(0)),
        [d.date().isoformat() for d in grid], total, path, bench_name,
        figures(bench, days) if bench is not None else None, _rounded(bench) if bench is not None else [],
        before, before_path, reviews)


def push_review(session: Session, viewer: Identity | None, task_id: str, today: dt.date,
                benchmark: str | None = None) -> PushReview:
    """The 售后检视 of the push `task_id` as `viewer` may see it: a client their own result only; an advisor or a
    manager the whole batch, limited to the clients in their scope (bank/access.py).

    Raises PushNotFound for an unknown id or a push whose client the viewer may not see; ValueError for an
    unknown benchmark.
    """
    push = load_push(session, task_id)
    if push is None or not can_see_client(session, viewer, push.client_id):
        raise PushNotFound(task_id)
    assert viewer is not None
    if viewer.role == "client":
        return review_pushes(session, [push], today, benchmark)
    batch = [p for p in _batch(session, push) if can_see_client(session, viewer, p.client_id)]
    return review_pushes(session, batch, today, benchmark)


@dataclass(frozen=True)
class AdvisorAfterSale:
    """One advisor's pushes made in a period, followed to today: money in, amount-weighted return since the
    push dates, the worst client drawdown."""

    staff_id: int
    name: str
    pushes: int
    confirmed: int
    invested: Decimal
    value: Decimal
    average_return: float | None
    worst_drawdown: float | None


def after_sale_by_advisor(session: Session, staff_ids: list[int], start: dt.date, end: dt.date,
                          today: dt.date) -> list[AdvisorAfterSale]:
    """Per advisor (in `staff_ids` order): the pushes made in [start, end], each batch reviewed to `today`.

    The average return is amount-weighted (money out over money in across the confirming clients), so it
    equals the return of all their pushes' money taken together.
    """
    lo, hi = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    pushes = session.scalars(select(PortfolioPush).where(
        PortfolioPush.advisor_id.in_(staff_ids), PortfolioPush.created_at >= lo, PortfolioPush.created_at < hi)
        .order_by(PortfolioPush.id)).all()
    batches: dict[tuple[int, int, dt.datetime], list[PortfolioPush]] = defaultdict(list)
    for push in pushes:
        batches[(push.advisor_id, push.portfolio_id, push.created_at)].append(push)
    reviews: dict[int, list[PushReview]] = defaultdict(list)
    for (advisor_id, _, _), batch in batches.items():
        reviews[advisor_id].append(review_pushes(session, batch, today, compare=False))
    names = dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))).tuples().all())
    rows = []
    for sid in staff_ids:
        mine = reviews.get(sid, [])
        invested = sum((r.invested for r in mine), Decimal(0))
        value = sum((r.value for r in mine), Decimal(0))
        drawdowns = [c.figures.max_drawdown for r in mine for c in r.clients]
        rows.append(AdvisorAfterSale(
            sid, names.get(sid, ""), sum(r.pushed for r in mine), sum(r.confirmed for r in mine), invested, value,
            float(value / invested - 1) if invested else None, min(drawdowns) if drawdowns else None))
    return rows

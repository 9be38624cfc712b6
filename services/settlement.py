"""Orders settle: the `settlement` job turns confirmed (pending) orders into holdings and transactions by each
product's rules (calc/settlement.py), and tells the client and the advisor through the outbox.

An order whose confirmation day has come is checked again — the product still on sale, the amount at or above
its minimum, the client's risk level at or above the product's (suitability at settlement too) — and, for a
fund, priced at the NAV of its trade date. A missing NAV is waited for `settlement_nav_grace_days` trading days
after the confirmation day, then the order fails. A failure is kept on the order (`failed`, with its reason)
and told to both, never dropped.

Idempotent without a job-run key: each order is claimed by a conditional UPDATE (pending → filled | failed) as
the first statement of the transaction that also books the holding, the transaction and the two messages, so
of two runs (or two schedulers) exactly one books an order, and a crash books nothing.

An insurance order may be cancelled within its cooling-off period (犹豫期): `cancel_in_cooling_off`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bank.db import session_scope
from bank.models import Client, Holding, NavPoint, Order, Product, Staff, Transaction
from bank.notifications import add_notification
from calc.calendar import next_day
from calc.money import fmt_yuan
from calc.risk import is_suitable, level_rank
from calc.settlement import (
    CASH_CATEGORIES,
    DEPOSIT_CATEGORIES,
    INSURANCE_KINDS,
    PRICED_CATEGORIES,
    SettlementDates,
    fund_units,
    settlement_dates,
)
from services.briefing_job import JobReport
from services.settings import Settings, get_settings

JOB = "settlement"
SETTLED, FAILED, CANCELLED = "order_settled", "order_failed", "order_cancelled"
log = logging.getLogger(__name__)


@dataclass
class SettlementReport(JobReport):
    """A run of the job: orders settled, failed (with the reason) and still waiting for a NAV."""

    settled: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    waiting: list[int] = field(default_factory=list)


class OrderNotFound(LookupError):
    """No order has this id."""


class NotCancellable(ValueError):
    """The order cannot be cancelled (not insurance, already decided, or past its cooling-off period); the
    message says why in Chinese."""


def order_dates(order: Order, product: Product, settings: Settings) -> SettlementDates:
    """The order's dates by its product's rules and the settings (cut-off time, cooling-off days)."""
    return settlement_dates(product.category, order.created_at, product.term_days,
                            settings.insurance_cooling_off_days, dt.time.fromisoformat(settings.settlement_cut_off))


def failure_reason(product: Product, client: Client, amount: Decimal) -> str | None:
    """Why the order cannot settle now (in Chinese), or None: product closed, below its minimum, or the client's
    risk level now below the product's."""
    if not product.on_sale:
        return f"“{product.name}”已停售"
    if amount < Decimal(product.min_amount):
        return f"金额{fmt_yuan(amount)}低于“{product.name}”的起购额{fmt_yuan(Decimal(product.min_amount))}"
    if level_rank(client.risk_level) is None:
        return "未做风险测评"
    if not is_suitable(str(client.risk_level), product.risk_level):
        return f"风险等级{client.risk_level}低于“{product.name}”的{product.risk_level}"
    return None


def settle_orders(now: dt.datetime, settings: Settings, url: str | None = None) -> SettlementReport:
    """Settle every pending order whose confirmation day has come at `now` (China time), each once."""
    report = SettlementReport(JOB, now.date().isoformat())
    if not settings.settlement_enabled:
        return report
    with session_scope(url) as session:
        ids = list(session.scalars(select(Order.id).where(Order.status == "pending").order_by(Order.id)))
    for order_id in ids:
        try:
            outcome, reason = _settle_one(order_id, now, settings, url)
        except OperationalError as error:  # locked or gone for a moment: the next run tries again
            log.warning("order %s not settled now: %s", order_id, type(error).__name__)
            continue
        if outcome == "settled":
            report.settled.append(order_id)
            report.sent.append(f"order:{order_id}")
        elif outcome == "failed":
            report.failed[order_id] = reason
            report.sent.append(f"order:{order_id}")
        elif outcome == "waiting":
            report.waiting.append(order_id)
        elif outcome == "done":
            report.already_done.append(f"order:{order_id}")
    return report


@dataclass(frozen=True)
class _Decision:
    outcome: str  # not_due | waiting | failed | settled
    dates: SettlementDates | None = None
    reason: str = ""
    nav: Decimal | None = None


def _decide(session: Session, order: Order, today: dt.date, settings: Settings) -> _Decision:
    product = session.get(Product, order.product_id)
    client = session.get(Client, order.client_id)
    assert product is not None and client is not None
    dates = order_dates(order, product, settings)
    if dates.confirm_date > today:
        return _Decision("not_due", dates)
    reason = failure_reason(product, client, Decimal(order.amount))
    if reason:
        return _Decision("failed", dates, reason)
    if product.category not in PRICED_CATEGORIES:
        return _Decision("settled", dates)
    nav = session.scalar(select(NavPoint.nav).where(NavPoint.product_id == product.id,
                                                    NavPoint.date == dates.trade_date))
    if nav is not None:
        return _Decision("settled", dates, nav=Decimal(nav))
    if today <= next_day(dates.confirm_date, settings.settlement_nav_grace_days):
        return _Decision("waiting", dates)
    return _Decision("failed", dates, f"{dates.trade_date:%Y-%m-%d}的净值未公布，无法确认份额")


def _settle_one(order_id: int, now: dt.datetime, settings: Settings, url: str | None) -> tuple[str, str]:
    """Decide in one read, then claim and book in one write transaction (the claim its first statement)."""
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        if order is None or order.status != "pending":
            return "done", ""
        decision = _decide(session, order, now.date(), settings)
    if decision.outcome in ("not_due", "waiting"):
        return decision.outcome, ""
    dates = decision.dates
    assert dates is not None
    with session_scope(url) as session:
        values: dict[str, Any] = {"trade_date": dates.trade_date, "confirm_date": dates.confirm_date,
                                  "settled_at": now, "cooling_off_until": dates.cooling_off_until}
        if decision.outcome == "failed":
            values.update(status="failed", reason=decision.reason[:200])
        else:
            values.update(status="filled")
        claimed = session.execute(update(Order).where(Order.id == order_id, Order.status == "pending")
                                  .values(**values).execution_options(synchronize_session=False)).rowcount == 1
        if not claimed:
            return "done", ""
        order = session.get(Order, order_id)
        assert order is not None
        session.refresh(order)
        product, client = session.get(Product, order.product_id), session.get(Client, order.client_id)
        assert product is not None and client is not None
        if decision.outcome == "failed":
            _tell(session, client, *_failed_texts(client, product, order, decision.reason), FAILED, now)
            return "failed", decision.reason
        _book(session, order, product, dates, decision.nav, now)
        _tell(session, client, *_settled_texts(client, product, order, dates), SETTLED, now)
    return "settled", ""


def _book(session: Session, order: Order, product: Product, dates: SettlementDates, nav: Decimal | None,
          now: dt.datetime) -> None:
    """The holding (added to the client's existing one for funds and cash, a new lot otherwise) and the
    transaction of a settled order, both linked from the order."""
    amount = Decimal(order.amount)
    insurance = product.category in INSURANCE_KINDS
    if nav is not None:
        purchase = fund_units(amount, nav, Decimal(str(product.subscription_fee or 0)))
        units, order.nav, order.fee = purchase.units, nav, purchase.fee
        day = dates.trade_date
    else:
        units = Decimal(1) if insurance else amount
        order.nav, order.fee = (None, Decimal(0)) if insurance else (Decimal(1), Decimal(0))
        day = dates.value_date
    order.units = units
    holding = None
    if nav is not None or product.category in CASH_CATEGORIES:
        holding = session.scalar(select(Holding).where(Holding.client_id == order.client_id,
                                                       Holding.product_id == product.id,
                                                       Holding.maturity_date.is_(None)).order_by(Holding.id).limit(1))
    if holding is None:
        holding = Holding(client_id=order.client_id, product_id=product.id, units=Decimal(0), cost=Decimal(0),
                          market_value=Decimal(0), opened_on=day, maturity_date=dates.maturity_date)
        session.add(holding)
    holding.units = Decimal(holding.units) + units
    holding.cost = Decimal(holding.cost) + amount
    if nav is not None:
        latest = session.scalar(select(NavPoint.nav).where(NavPoint.product_id == product.id,
                                                           NavPoint.date <= now.date())
                                .order_by(NavPoint.date.desc()).limit(1))
        holding.market_value = (holding.units * Decimal(latest if latest is not None else nav)).quantize(Decimal("0.01"))
    else:
        holding.market_value = Decimal(holding.market_value) + amount
    trade = Transaction(client_id=order.client_id, product_id=product.id, kind="premium" if insurance else "buy",
                        amount=amount, units=None if insurance else units, trade_date=day)
    session.add(trade)
    session.flush()
    order.holding_id, order.transaction_id = holding.id, trade.id


def _day(day: dt.date | None) -> str:
    return f"{day.month}月{day.day}日" if day else ""


def _settled_texts(client: Client, product: Product, order: Order, dates: SettlementDates) -> tuple[str, str]:
    """(client's text, advisor's text) of a settled order."""
    amount = fmt_yuan(Decimal(order.amount))
    if product.category in INSURANCE_KINDS:
        mine = (f"您投保的{product.name}已于{_day(dates.value_date)}生效，保费{amount}。"
                f"犹豫期至{_day(dates.cooling_off_until)}，期间可解除合同、全额退还保费。")
        detail = f"{_day(dates.value_date)}生效，犹豫期至{_day(dates.cooling_off_until)}"
    elif order.nav is not None and product.category not in CASH_CATEGORIES:
        fee = f"，申购费{fmt_yuan(Decimal(order.fee))}" if order.fee else ""
        mine = (f"您购买的{product.name}{amount}已确认：按{_day(dates.trade_date)}净值{order.nav}确认"
                f"{order.units}份{fee}。")
        detail = f"{_day(dates.trade_date)}净值{order.nav}，{order.units}份"
    elif dates.maturity_date:
        verb = "已存入" if product.category in DEPOSIT_CATEGORIES else "已确认"
        mine = f"您购买的{product.name}{amount}{verb}，{_day(dates.value_date)}起息，{dates.maturity_date:%Y年%m月%d日}到期。"
        detail = f"{_day(dates.value_date)}起息，{dates.maturity_date:%Y-%m-%d}到期"
    else:
        mine = f"您购买的{product.name}{amount}已确认，{_day(dates.value_date)}起计算收益。"
        detail = f"{_day(dates.value_date)}起计收益"
    return mine, f"客户{client.name}的订单已成交：{product.name}，{amount}（{detail}）。"


def _failed_texts(client: Client, product: Product, order: Order, reason: str) -> tuple[str, str]:
    """(client's text, advisor's text) of a failed order."""
    amount = fmt_yuan(Decimal(order.amount))
    return (f"很抱歉，您购买{product.name}{amount}的订单未能成交：{reason}。款项不会扣划，理财经理会与您联系。",
            f"客户{client.name}的订单未能成交：{product.name}，{amount}，原因：{reason}。请联系客户。")


def _tell(session: Session, client: Client, client_text: str, advisor_text: str, kind: str,
          now: dt.datetime) -> None:
    """Both messages into the outbox, in the caller's transaction (order notices: priority 0)."""
    if client.wecom_external_userid:
        add_notification(session, client.wecom_external_userid, client_text, kind=kind, priority=0, now=now)
    advisor = session.get(Staff, client.advisor_id)
    if advisor is not None:
        add_notification(session, advisor.wecom_userid, advisor_text, kind=kind, priority=0, now=now)


@dataclass(frozen=True)
class Cancelled:
    """A cancelled insurance order and the premium refunded (0 when it had not taken effect)."""

    order_id: int
    product_name: str
    refund: Decimal


def cancel_in_cooling_off(session: Session, order_id: int, now: dt.datetime,
                          settings: Settings | None = None) -> Cancelled:
    """Cancel insurance order `order_id` within its cooling-off period: before it takes effect, or up to the
    last day of 犹豫期 — then its policy (holding) is removed and the premium refunded (a `refund` transaction
    beside the premium's, which stays). The client
    and the advisor are told; the caller commits.

    Raises OrderNotFound for an unknown id, NotCancellable (with the reason in Chinese) for any other order.
    """
    settings = settings or get_settings()
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    product, client = session.get(Product, order.product_id), session.get(Client, order.client_id)
    assert product is not None and client is not None
    if product.category not in INSURANCE_KINDS:
        raise NotCancellable("只有保险订单可以在犹豫期内撤销")
    if order.status not in ("pending", "filled"):
        raise NotCancellable({"cancelled": "订单已撤销", "failed": "订单未成交，无需撤销"}.get(order.status,
                                                                                "订单状态不允许撤销"))
    dates = order_dates(order, product, settings)
    until = order.cooling_off_until or dates.cooling_off_until
    if order.status == "filled" and (until is None or now.date() > until):
        raise NotCancellable(f"犹豫期已于{_day(until)}结束，不能撤销；如需退保请联系理财经理（退保按现金价值退还）")
    status = order.status
    changed = session.execute(update(Order).where(Order.id == order_id, Order.status == status)
                              .values(status="cancelled", reason="犹豫期内撤销", settled_at=now)
                              .execution_options(synchronize_session=False)).rowcount == 1
    if not changed:
        raise NotCancellable("订单状态刚刚发生变化，请稍后再试")
    refund = Decimal(0)
    if status == "filled":  # the premium stays on record and is paid back by a refund; the policy is gone
        refund = Decimal(order.amount)
        session.add(Transaction(client_id=order.client_id, product_id=product.id, kind="refund", amount=refund,
                                units=None, trade_date=now.date()))
        if order.holding_id is not None:
            session.execute(delete(Holding).where(Holding.id == order.holding_id))
    session.refresh(order)
    money = f"，保费{fmt_yuan(refund)}将全额退还" if refund else ""
    _tell(session, client, f"您投保的{product.name}已在犹豫期内撤销{money}。",
          f"客户{client.name}在犹豫期内撤销了{product.name}（{fmt_yuan(Decimal(order.amount))}）。", CANCELLED, now)
    return Cancelled(order.id, product.name, refund)

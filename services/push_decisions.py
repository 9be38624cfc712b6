"""A client's answer to a push: confirm (the orders are created exactly once) or decline, what the client sees of
a push, and what the advisor is told.

A confirmation checks suitability again: a valid (present, unexpired) risk assessment at or above every
item's product risk, and an amount that meets every item's minimum. The push moves from pending to confirmed
with a conditional UPDATE (only one caller can win it), and each order carries a unique idempotency key per
push and product, so even a replayed insert fails instead of doubling the orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.models import Client, Order, PortfolioPush, Staff
from calc.money import fmt_yuan
from calc.risk import RISK_VALID_DAYS
from services.notify import notify
from services.order_caps import order_cap_reason
from services.portfolios import (
    PortfolioLine,
    find_portfolio,
    portfolio_lines,
)
from services.push_products import cooling_off_note
from services.pushes import PushNotFound, load_push, push_amount, unsuitable_reason
from services.settings import Settings, get_settings


@dataclass(frozen=True)
class ConfirmResult:
    """The outcome of a confirmation.

    status: "confirmed" (orders exist; `created` tells whether this call created them), "declined",
    "expired" or "refused" (suitability or minimums failed now; `reason` says why, the push stays pending).
    """

    status: str
    push_id: int
    task_id: str
    portfolio_name: str
    client_id: int
    client_name: str
    advisor_userid: str
    amount: Decimal
    orders: list[PortfolioLine] = field(default_factory=list)
    created: bool = False
    reason: str = ""
    cooling_off: str = ""  # the 犹豫期 sentence when the push holds insurance (services.push_products)


def advisor_notice(result: ConfirmResult) -> tuple[str, str] | None:
    """What the advisor is told about a client's decision, as (kind, text); None when there is nothing new
    (a repeated press of a decided push).

    >>> r = ConfirmResult("declined", 1, "t", "稳健组合", 7, "王芳", "zhangmin", Decimal("0"), created=True)
    >>> advisor_notice(r)
    ('push_declined', '客户王芳暂不购买稳健组合。')
    >>> advisor_notice(ConfirmResult("confirmed", 1, "t", "稳健组合", 7, "王芳", "zhangmin", Decimal("0"))) is None
    True
    """
    if result.status == "refused":
        return "push_refused", f"客户{result.client_name}想确认{result.portfolio_name}，但{result.reason}，请联系客户处理。"
    if not result.created:
        return None
    if result.status == "confirmed":
        return "push_confirmed", (f"客户{result.client_name}确认了{result.portfolio_name}，已生成{len(result.orders)}笔订单，"
                                  f"合计{fmt_yuan(float(result.amount))}。")
    if result.status == "declined":
        return "push_declined", f"客户{result.client_name}暂不购买{result.portfolio_name}。"
    return None


#: A refusal (not suitable now, below a minimum) is told to the advisor once a day, however often it is pressed.
REFUSAL_NOTICE_EVERY = dt.timedelta(days=1)








def _result(session: Session, push: PortfolioPush, status: str, *, created: bool = False,
            reason: str = "") -> ConfirmResult:
    portfolio = find_portfolio(session, push.portfolio_id)
    client = session.get(Client, push.client_id)
    advisor = session.get(Staff, push.advisor_id)
    assert client is not None and advisor is not None
    orders: list[PortfolioLine] = []
    if status == "confirmed":
        by_product = {i.product_id: i for i in portfolio.items}
        for order in session.scalars(select(Order).where(Order.push_id == push.id).order_by(Order.id)):
            item = by_product.get(order.product_id)
            product = item.product if item else None
            orders.append(PortfolioLine(order.product_id, product.code if product else "", product.name if product
                                        else "", product.risk_level if product else "", item.weight if item else 0.0,
                                        Decimal(product.min_amount) if product else Decimal(0), Decimal(order.amount)))
    return ConfirmResult(status, push.id, push.task_id, portfolio.name, client.id, client.name, advisor.wecom_userid,
                         push_amount(push, portfolio), orders, created, reason,
                         cooling_off_note(portfolio_lines(portfolio, push_amount(push, portfolio))))


def _expire(session: Session, push: PortfolioPush, now: dt.datetime) -> None:
    session.execute(update(PortfolioPush).where(PortfolioPush.id == push.id, PortfolioPush.status == "pending")
                    .values(status="expired", decided_at=now))
    session.refresh(push)


def confirm_push(session: Session, task_id: str, client: int | Identity, now: dt.datetime,
                 valid_days: int = RISK_VALID_DAYS, settings: Settings | None = None) -> ConfirmResult:
    """Confirm the push `task_id` for `client` (id or identity): create its orders exactly once.

    Raises PushNotFound for an unknown task id or another client's push. Repeated or concurrent calls all
    return status "confirmed" with the same orders; only the first has `created` True. Suitability and the
    minimum amounts are checked again now, and the amount against the order caps (ORDER_MAX_AMOUNT, the
    client's investable assets): "refused" with a reason, the push stays pending; an expired push is marked
    expired ("expired").
    """
    client_id = client.client_id if isinstance(client, Identity) else client
    push = load_push(session, task_id)
    if push is None or client_id is None or push.client_id != client_id:
        raise PushNotFound(task_id)
    if push.status != "pending":
        return _result(session, push, push.status)
    if now > push.expires_at:
        _expire(session, push, now)
        return _result(session, push, push.status)
    portfolio = find_portfolio(session, push.portfolio_id)
    lines = portfolio_lines(portfolio, push_amount(push, portfolio))
    row = session.get(Client, push.client_id)
    assert row is not None
    reason = unsuitable_reason(row, lines, now.date(), valid_days)
    if reason is None:
        limits = settings or get_settings()
        reason = order_cap_reason(session, row, push_amount(push, portfolio), limits.order_max_amount,
                                  limits.order_max_share_of_assets)
    if reason is not None:
        return _result(session, push, "refused", reason=reason)
    won = session.execute(
        update(PortfolioPush).where(PortfolioPush.id == push.id, PortfolioPush.status == "pending",
                                    PortfolioPush.expires_at >= now)
        .values(status="confirmed", decided_at=now)
    ).rowcount == 1
    if not won:  # another delivery decided it first (or it just expired)
        session.refresh(push)
        if push.status == "pending":
            _expire(session, push, now)
        return _result(session, push, push.status)
    try:
        session.add_all(Order(client_id=push.client_id, product_id=line.product_id, amount=line.amount,
                              status="pending", push_id=push.id, idempotency_key=f"push:{push.id}:{line.product_id}",
                              created_at=now) for line in lines)
        session.flush()
    except IntegrityError:  # the order set already exists: report it, create nothing
        session.rollback()
        push = load_push(session, task_id)
        assert push is not None
        return _result(session, push, push.status)
    session.refresh(push)
    return _result(session, push, "confirmed", created=True)


def decline_push(session: Session, task_id: str, client: int | Identity, now: dt.datetime) -> ConfirmResult:
    """Decline the push `task_id` for `client`; a push already decided keeps its status (returned as is)."""
    client_id = client.client_id if isinstance(client, Identity) else client
    push = load_push(session, task_id)
    if push is None or client_id is None or push.client_id != client_id:
        raise PushNotFound(task_id)
    if push.status == "pending" and now > push.expires_at:
        _expire(session, push, now)
        return _result(session, push, push.status)
    changed = session.execute(update(PortfolioPush).where(PortfolioPush.id == push.id,
                                                          PortfolioPush.status == "pending")
                              .values(status="declined", decided_at=now)).rowcount == 1
    session.refresh(push)
    return _result(session, push, push.status, created=changed)


def push_outcome(session: Session, task_id: str) -> ConfirmResult:
    """The push's current state with its orders, changing nothing; PushNotFound for an unknown id."""
    push = load_push(session, task_id)
    if push is None:
        raise PushNotFound(task_id)
    return _result(session, push, push.status)








def tell_advisor(result: ConfirmResult) -> None:
    """Tell the advisor what the client decided (once; a refusal at most once a day). Chat and web alike."""
    if notice := advisor_notice(result):
        kind, text = notice
        notify(result.advisor_userid, text, kind=kind, priority=0,  # an order notice
               once_per=REFUSAL_NOTICE_EVERY if result.status == "refused" else None)

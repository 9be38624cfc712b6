"""A client's own orders in chat: "我买的组合到账了吗" (status, trade and confirmation dates, units) and "撤销刚买的
重疾险" (an insurance order within its 犹豫期; the rule is services.settlement.cancel_in_cooling_off).

Only the client's own orders are ever read or cancelled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import INSURANCE_CATEGORIES, Order, Product
from calc.money import fmt_yuan
from services.settings import Settings, get_settings
from services.settlement import Cancelled, NotCancellable, cancel_in_cooling_off, order_dates

RECENT_DAYS = 90
MAX_ORDERS = 5


@dataclass(frozen=True)
class OrderLine:
    """One order as its client reads it."""

    order_id: int
    product: str
    amount: Decimal
    status: str
    created_at: dt.datetime
    trade_date: dt.date | None
    confirm_date: dt.date | None
    units: Decimal | None
    nav: Decimal | None
    reason: str | None
    insurance: bool
    cooling_off_until: dt.date | None

    def text(self, today: dt.date) -> str:
        """The order in one line ("· 远航纯债债券A 1.25万元：已确认，5,960.20份（11月3日净值2.0806）")."""
        head = f"· {self.product} {fmt_yuan(self.amount)}（{_day(self.created_at.date())}下单）："
        if self.status == "filled":
            if self.insurance:
                until = (f"，犹豫期至{_day(self.cooling_off_until)}" if self.cooling_off_until
                         and today <= self.cooling_off_until else "")
                return head + f"保单已生效{until}。"
            units = f"，{self.units:,.2f}份" if self.units is not None else ""
            nav = f"（{_day(self.trade_date)}净值{self.nav}）" if self.nav is not None and self.trade_date else ""
            return head + f"已确认{units}{nav}。"
        if self.status == "pending":
            when = f"，预计{_day(self.confirm_date)}确认" if self.confirm_date else ""
            return head + f"处理中{when}。"
        if self.status == "cancelled":
            return head + f"已撤销（{self.reason or '犹豫期内撤销'}）。"
        if self.status == "failed":
            return head + f"未成交：{self.reason or '请联系理财经理'}。"
        return head + "已提交。"


def _day(day: dt.date | None) -> str:
    """A date as a person says it this year ("11月3日").

    >>> _day(dt.date(2026, 11, 3)), _day(None)
    ('11月3日', '')
    """
    return f"{day.month}月{day.day}日" if day else ""


def _line(order: Order, product: Product, settings: Settings) -> OrderLine:
    dates = order_dates(order, product, settings)
    insurance = product.category in INSURANCE_CATEGORIES
    return OrderLine(order.id, product.name, Decimal(order.amount), order.status, order.created_at,
                     order.trade_date or dates.trade_date, order.confirm_date or dates.confirm_date,
                     order.units, order.nav, order.reason, insurance,
                     (order.cooling_off_until or dates.cooling_off_until) if insurance else None)


def recent_orders(session: Session, client_id: int, today: dt.date, settings: Settings | None = None,
                  limit: int = MAX_ORDERS) -> list[OrderLine]:
    """The client's orders of the last RECENT_DAYS days, newest first."""
    settings = settings or get_settings()
    since = dt.datetime.combine(today - dt.timedelta(days=RECENT_DAYS), dt.time())
    rows = session.execute(select(Order, Product).join(Product, Product.id == Order.product_id)
                           .where(Order.client_id == client_id, Order.created_at >= since)
                           .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    return [_line(order, product, settings) for order, product in rows]


def policy_to_cancel(session: Session, client_id: int, text: str, now: dt.datetime,
                     settings: Settings | None = None) -> OrderLine:
    """The client's insurance order a message asks to cancel: the one whose product it names, else the only one
    still within its cooling-off period. NotCancellable (Chinese) when there is none, or several and the
    message names none of them."""
    settings = settings or get_settings()
    rows = session.execute(select(Order, Product).join(Product, Product.id == Order.product_id)
                           .where(Order.client_id == client_id, Product.category.in_(INSURANCE_CATEGORIES),
                                  Order.status.in_(("pending", "filled")))
                           .order_by(Order.created_at.desc(), Order.id.desc())).all()
    lines = [_line(order, product, settings) for order, product in rows]
    named = [line for line in lines if line.product in text]
    if len(named) == 1:
        return named[0]
    open_ = [line for line in lines if line.status == "pending"
             or (line.cooling_off_until is not None and now.date() <= line.cooling_off_until)]
    if not open_:
        if lines:
            last = lines[0]
            raise NotCancellable(f"{last.product}的犹豫期已于{_day(last.cooling_off_until)}结束，不能撤销；"
                                 "如需退保请联系理财经理（退保按现金价值退还）")
        raise NotCancellable("您目前没有可以在犹豫期内撤销的保单")
    if len(open_) > 1:
        names = "、".join(line.product for line in open_)
        raise NotCancellable(f"您有{len(open_)}份保单还在犹豫期内（{names}），请说一下要撤销哪一份")
    return open_[0]


def cancel_policy(session: Session, client_id: int, order_id: int, now: dt.datetime,
                  settings: Settings | None = None) -> Cancelled:
    """Cancel the client's own insurance order `order_id` within its 犹豫期; NotCancellable for another
    client's order (worded as if it did not exist) or one past its period."""
    order = session.get(Order, order_id)
    if order is None or order.client_id != client_id:
        raise NotCancellable("没有找到这份保单")
    return cancel_in_cooling_off(session, order_id, now, settings)

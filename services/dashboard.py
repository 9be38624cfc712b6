"""Operations figures for managers (their team) and advisors (themselves): one source for web pages and the bot.

Periods are inclusive calendar days [start, end]. Amounts are strings with two decimals, so the JSON is exact.
"Sales" are the bank's buy and premium transactions booked for the advisor's clients; "orders" are the
one-click orders placed through the assistant (cancelled and failed ones excluded).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from bank.models import (
    CONTACT_KINDS,
    CONTACT_NAMES,
    Client,
    Contact,
    Holding,
    Order,
    PortfolioPush,
    Product,
    Proposal,
    Staff,
    Transaction,
    UsageEvent,
)
from bank.notifications import count_dead
from bank.notifications import dead_letters as list_dead
from calc import clock
from services.after_sale import after_sale_by_advisor
from services.fallbacks import fallback_figures
from services.reminders import conversion
from services.settings import get_settings
from wecom.masking import mask_id

MAX_PERIOD_DAYS = 366
FEATURE_NAMES = {  # every feature actions/ and services/ record usage of (bank.usage.record_usage)
    "checkup": "财富体检",
    "plan_investment": "投资规划",
    "plan_pension": "养老规划",
    "plan_retirement": "退休规划",
    "plan_simulation": "模拟规划",
    "maturity_reminder": "到期提醒",
    "knowledge_qa": "知识问答",
    "portfolio_push": "组合推送",
    "client_profile": "客户画像",
    "prospects": "潜力客户",
    "proposal": "建议书",
    "dashboard": "看板",
    "risk_assessment": "风险测评",
    "wealth_statement": "财富账单",
    "wealth_score": "财富健康分",
    "rewards": "成长权益",
    "human_handoff": "转人工",
    "backtest": "组合回检",
    "contact_log": "联系记录",
    "learning": "学习资料",
    "team_dashboard": "团队看板",
    "broadcast": "晨会发布",
    "briefing": "今日待办",
    "briefing_settings": "待办设置",
    "client_tags": "客户标签",
    "client_groups": "客户分组",
    "rank_clients": "客户排序",
    "rewards_redeem": "权益兑换",
    "statement_preference": "账单订阅",
    "shelf_browse": "产品货架",
    "shelf_compare": "产品对比",
    "shelf_ask_advisor": "找理财经理",
    "portfolio_edit": "组合维护",
    "after_sale_review": "售后检视",
    "share": "分享给客户",
    "order_status": "订单查询",
    "policy_cancel": "犹豫期退保",
    "clarify": "未听懂·澄清",  # services/fallbacks.py: messages the bot asked back about
}
SALES_KINDS = ("buy", "premium")
LIVE_ORDER_STATUSES = ("pending", "submitted", "filled")


class PeriodError(ValueError):
    """A dashboard period is invalid; `field` names the offending parameter (start or end)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotAManager(LookupError):
    """The staff id given for a team dashboard is not a manager."""


def check_period(start: dt.date, end: dt.date) -> None:
    """Raise PeriodError unless start <= end and the period spans at most MAX_PERIOD_DAYS days.

    >>> check_period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    >>> check_period(dt.date(2026, 12, 1), dt.date(2026, 11, 30))
    Traceback (most recent call last):
    ...
    services.dashboard.PeriodError: end: must not be before start
    """
    if end < start:
        raise PeriodError("end", "must not be before start")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise PeriodError("start", f"the period may span at most {MAX_PERIOD_DAYS} days")


def money(amount: Decimal | int | float | None) -> str:
    """An amount as a string with two decimals.

    >>> money(Decimal("1234.5")), money(None)
    ('1234.50', '0.00')
    """
    return f"{Decimal(str(amount or 0)).quantize(Decimal('0.01'))}"


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _count_by(session: Session, query: Select[Any]) -> dict[Any, int]:
    return {key: int(n) for key, n in session.execute(query)}


def _usage(session: Session, actor_ids: Select[Any], start: dt.date, end: dt.date) -> dict[str, Any]:
    """Daily active users (staff and clients) and feature counts for the actors selected by `actor_ids`."""
    lo, hi = _bounds(start, end)
    in_period = (UsageEvent.happened_at >= lo, UsageEvent.happened_at < hi, UsageEvent.actor_id.in_(actor_ids))
    day = func.date(UsageEvent.happened_at)
    # One expression object in SELECT and GROUP BY: PostgreSQL needs them identical, bound parameter included.
    is_client = (UsageEvent.role == "client").label("is_client")
    daily: dict[str, dict[str, int]] = defaultdict(lambda: {"staff": 0, "clients": 0})
    rows = session.execute(
        select(day, is_client, func.count(func.distinct(UsageEvent.actor_id))).where(*in_period).group_by(day, is_client)
    )
    for when, is_client, users in rows:
        daily[str(when)]["clients" if is_client else "staff"] += int(users)
    dau = [{"day": d.isoformat(), **daily.get(d.isoformat(), {"staff": 0, "clients": 0})} for d in _days(start, end)]
    for point in dau:
        point["users"] = point["staff"] + point["clients"]
    features = _count_by(session, select(UsageEvent.feature, func.count()).where(*in_period)
                         .group_by(UsageEvent.feature))
    active = session.execute(select(func.count(func.distinct(UsageEvent.actor_id))).where(*in_period)).scalar_one()
    return {
        "daily_active_users": dau,
        "active_users": int(active),
        "feature_usage": [{"feature": f, "name": FEATURE_NAMES.get(f, f), "count": n}
                          for f, n in sorted(features.items(), key=lambda item: (-item[1], item[0]))],
    }


def _advisor_figures(session: Session, staff_ids: list[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """Per staff id: clients, contacts, proposals, pushes, confirmations, orders and sales in the period."""
    lo, hi = _bounds(start, end)
    figures: dict[int, dict[str, Any]] = {
        sid: {"clients": 0, "contacts": 0, "proposals": 0, "pushes": 0, "confirmations": 0, "orders": 0,
              "order_amount": Decimal(0), "sales_amount": Decimal(0)} for sid in staff_ids}

    def add(key: str, query: Select[Any]) -> None:
        for sid, value in session.execute(query):
            figures[sid][key] += value or 0

    add("clients", select(Client.advisor_id, func.count()).where(Client.advisor_id.in_(staff_ids))
        .group_by(Client.advisor_id))
    add("contacts", select(Contact.advisor_id, func.count()).where(
        Contact.advisor_id.in_(staff_ids), Contact.happened_at >= lo, Contact.happened_at < hi)
        .group_by(Contact.advisor_id))
    add("proposals", select(Proposal.created_by_id, func.count()).where(
        Proposal.created_by_id.in_(staff_ids), Proposal.created_at >= lo, Proposal.created_at < hi)
        .group_by(Proposal.created_by_id))
    pushes = (PortfolioPush.advisor_id.in_(staff_ids), PortfolioPush.created_at >= lo, PortfolioPush.created_at < hi)
    add("pushes", select(PortfolioPush.advisor_id, func.count()).where(*pushes).group_by(PortfolioPush.advisor_id))
    add("confirmations", select(PortfolioPush.advisor_id, func.count()).where(
        *pushes, PortfolioPush.status == "confirmed").group_by(PortfolioPush.advisor_id))
    orders = (Client.advisor_id.in_(staff_ids), Order.created_at >= lo, Order.created_at < hi,
              Order.status.in_(LIVE_ORDER_STATUSES))
    add("orders", select(Client.advisor_id, func.count()).select_from(Order).join(Client, Order.client_id == Client.id)
        .where(*orders).group_by(Client.advisor_id))
    add("order_amount", select(Client.advisor_id, func.sum(Order.amount)).select_from(Order).join(Client, Order.client_id == Client.id)
        .where(*orders).group_by(Client.advisor_id))
    net = case((Transaction.kind == "refund", -Transaction.amount), else_=Transaction.amount)  # premiums paid back
    add("sales_amount", select(Client.advisor_id, func.sum(net)).select_from(Transaction)
        .join(Client, Transaction.client_id == Client.id)
        .where(Client.advisor_id.in_(staff_ids), Transaction.kind.in_((*SALES_KINDS, "refund")),
               Transaction.trade_date >= start, Transaction.trade_date <= end)
        .group_by(Client.advisor_id))
    return figures


def _period(start: dt.date, end: dt.date) -> dict[str, Any]:
    return {"start": start.isoformat(), "end": end.isoformat(), "days": (end - start).days + 1}


def team_dashboard(session: Session, manager_staff_id: int, start: dt.date, end: dt.date,
                   acted_days: int | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """The manager's team over [start, end]: DAU by day, feature usage, proposals, contacts, pushes, orders and
    sales by advisor, and how many of the briefings' reminders the advisors acted on within `acted_days`
    (default: the setting REMINDER_ACTED_DAYS; windows closing after `today`, default today, are still open).
    Raises NotAManager for a staff id that is not a manager, PeriodError for a bad period."""
    check_period(start, end)
    manager = session.get(Staff, manager_staff_id)
    if manager is None or manager.role != "manager":
        raise NotAManager(f"staff {manager_staff_id} is not a manager")
    members = session.execute(select(Staff).where(Staff.team_id == manager.team_id).order_by(Staff.id)).scalars().all()
    member_ids = [m.id for m in members]
    actors = select(Staff.wecom_userid).where(Staff.team_id == manager.team_id).union(
        select(Client.wecom_external_userid).join(Staff, Client.advisor_id == Staff.id)
        .where(Staff.team_id == manager.team_id, Client.wecom_external_userid.is_not(None)))
    figures = _advisor_figures(session, member_ids, start, end)
    lo, hi = _bounds(start, end)
    contact_kinds = _count_by(session, select(Contact.kind, func.count()).where(
        Contact.advisor_id.in_(member_ids), Contact.happened_at >= lo, Contact.happened_at < hi)
        .group_by(Contact.kind))
    proposal_kinds = _count_by(session, select(Proposal.kind, func.count()).where(
        Proposal.created_by_id.in_(member_ids), Proposal.created_at >= lo, Proposal.created_at < hi)
        .group_by(Proposal.kind))
    advisors = [
        {"staff_id": m.id, "name": m.name, "role": m.role, **{k: (money(v) if k.endswith("amount") else v)
                                                             for k, v in figures[m.id].items()}}
        for m in members if m.role == "advisor" or any(figures[m.id][k] for k in figures[m.id] if k != "clients")
    ]
    totals = {key: sum(figures[sid][key] for sid in member_ids) for key in figures[member_ids[0]]}
    return {
        "scope": "team",
        "team": {"id": manager.team_id, "name": manager.team.name, "branch": manager.team.branch,
                 "manager": manager.name},
        "period": _period(start, end),
        **_usage(session, actors, start, end),
        "proposals": {"total": totals["proposals"], "by_kind": proposal_kinds},
        "contacts": {"total": totals["contacts"],
                     "by_kind": [{"kind": k, "name": CONTACT_NAMES[k], "count": contact_kinds.get(k, 0)}
                                 for k in CONTACT_KINDS]},
        "pushes": {"total": totals["pushes"], "confirmed": totals["confirmations"]},
        "orders": {"total": totals["orders"], "amount": money(totals["order_amount"])},
        "sales_amount": money(totals["sales_amount"]),
        "advisors": advisors,
        "dead_letters": dead_letters(session, actors),
        # Messages the bot did not understand, with their masked wording (services/fallbacks.py).
        "fallbacks": fallback_figures(session, actors, lo, hi),
        # Reminders acted on, by advisor and by kind (services/reminders.py).
        "conversion": conversion(session, [m.id for m in members if m.role == "advisor"], start, end,
                                 acted_days or get_settings().reminder_acted_days, today or clock.today()),
        # 售后检视: the pushes of the period followed to today, by advisor (services/after_sale.py).
        "after_sale": after_sale_figures(session, [m.id for m in members if m.role == "advisor"], start, end,
                                         today or clock.today()),
    }


def after_sale_figures(session: Session, staff_ids: list[int], start: dt.date, end: dt.date,
                       today: dt.date) -> dict[str, Any]:
    """售后检视 by advisor: pushes made in [start, end], confirmed, money in (yuan), the amount-weighted return
    since the push dates and the worst drawdown of a client (fractions, None without confirmed money), to today."""
    rows = after_sale_by_advisor(session, staff_ids, start, end, today)
    invested = sum((r.invested for r in rows), Decimal(0))
    value = sum((r.value for r in rows), Decimal(0))
    drawdowns = [r.worst_drawdown for r in rows if r.worst_drawdown is not None]
    return {
        "as_of": today.isoformat(),
        "advisors": [{"staff_id": r.staff_id, "name": r.name, "pushes": r.pushes, "confirmed": r.confirmed,
                      "invested": money(r.invested), "value": money(r.value),
                      "average_return": _rate(r.average_return), "worst_drawdown": _rate(r.worst_drawdown)}
                     for r in rows],
        "total": {"pushes": sum(r.pushes for r in rows), "confirmed": sum(r.confirmed for r in rows),
                  "invested": money(invested), "value": money(value),
                  "average_return": _rate(float(value / invested - 1) if invested else None),
                  "worst_drawdown": _rate(min(drawdowns) if drawdowns else None)},
    }


def _rate(rate: float | None) -> float | None:
    """A fraction kept to 6 decimals for the JSON (pages print it with calc.money.fmt_pct).

    >>> _rate(0.0123456789), _rate(None)
    (0.012346, None)
    """
    return None if rate is None else round(rate, 6)


def dead_letters(session: Session, recipients: Select[Any], latest: int = 5) -> dict[str, Any]:
    """Outbox messages to these recipients that the sender gave up on: how many, and the latest few with their
    reason (recipients masked). An operator resends or drops them with `python -m services.outbox`."""
    return {"count": count_dead(session, recipients),
            "latest": [{"id": note.id, "recipient": mask_id(note.recipient), "kind": note.kind,
                        "created_at": note.created_at.isoformat(timespec="minutes"), "reason": note.error or ""}
                       for note in list_dead(session, latest, recipients)]}


def advisor_dashboard(session: Session, staff_id: int, start: dt.date, end: dt.date,
                      maturity_days: int = 30) -> dict[str, Any]:
    """One advisor's own figures: clients, assets under management, proposals, pushes and confirmations, contacts
    this week (the 7 days ending at `end`) and holdings maturing in the `maturity_days` after `end`."""
    check_period(start, end)
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise LookupError(f"staff {staff_id} does not exist")
    figures = _advisor_figures(session, [staff_id], start, end)[staff_id]
    own = Client.advisor_id == staff_id
    aum = session.execute(select(func.sum(Holding.market_value)).select_from(Holding).join(Client, Holding.client_id == Client.id)
                          .where(own)).scalar_one()
    week_lo, week_hi = _bounds(end - dt.timedelta(days=6), end)
    week = _count_by(session, select(Contact.kind, func.count()).where(
        Contact.advisor_id == staff_id, Contact.happened_at >= week_lo, Contact.happened_at < week_hi)
        .group_by(Contact.kind))
    horizon = end + dt.timedelta(days=maturity_days)
    maturing = session.execute(
        select(Holding.maturity_date, Client.name, Product.name, Holding.market_value).select_from(Holding)
        .join(Client, Holding.client_id == Client.id).join(Product, Holding.product_id == Product.id)
        .where(own, Holding.maturity_date > end, Holding.maturity_date <= horizon)
        .order_by(Holding.maturity_date, Client.name)
    ).all()
    actors = select(Staff.wecom_userid).where(Staff.id == staff_id)
    return {
        "scope": "advisor",
        "advisor": {"staff_id": staff.id, "name": staff.name, "team": staff.team.name},
        "period": _period(start, end),
        "clients": figures["clients"],
        "assets_under_management": money(aum),
        "proposals": figures["proposals"],
        "pushes": {"total": figures["pushes"], "confirmed": figures["confirmations"]},
        "orders": {"total": figures["orders"], "amount": money(figures["order_amount"])},
        "sales_amount": money(figures["sales_amount"]),
        "contacts": figures["contacts"],
        "contacts_this_week": {"start": (end - dt.timedelta(days=6)).isoformat(), "end": end.isoformat(),
                               "total": sum(week.values()),
                               "by_kind": [{"kind": k, "name": CONTACT_NAMES[k], "count": week.get(k, 0)}
                                           for k in CONTACT_KINDS]},
        "maturities_ahead": {
            "days": maturity_days, "count": len(maturing), "amount": money(sum(m[3] for m in maturing)),
            "items": [{"date": d.isoformat(), "client": c, "product": p, "amount": money(v)}
                      for d, c, p, v in maturing[:20]],
        },
        "feature_usage": _usage(session, actors, start, end)["feature_usage"],
    }

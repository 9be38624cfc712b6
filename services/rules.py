"""The loss and drift rules, defined once: which clients of some advisors hold a product that fell more than a
threshold (since purchase or over 30 days), and whose allocation left their last check-up's target.

The briefing lists them, the market alerts and the client segments reuse them. Each function reads every
advisor's clients in a fixed number of statements (no query per client).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from bank.models import MARKET_CATEGORIES, Client, Holding, NavPoint, Product, Proposal
from calc.drift import allocation_drift, class_weights, loss_ratio
from services.checkups import CLASS_ZH

LOOKBACK_DAYS = 30
CALMING_POINT = "短期波动属正常，回顾买入初衷与持有期限，不建议恐慌赎回"
"""What to say to a client in loss (the briefing's talking point)."""
CLASS_OF_LABEL = {label: key for key, label in CLASS_ZH.items()}


@dataclass(frozen=True)
class Loss:
    """A client's worst holding by the loss rule: its product, the change since purchase and over 30 days."""

    client_id: int
    product_name: str
    since_purchase: float | None
    over_30_days: float | None
    market_value: float

    @property
    def worst(self) -> float:
        return min(x for x in (self.since_purchase, self.over_30_days) if x is not None)


@dataclass(frozen=True)
class Drift:
    """A client whose allocation is `distance` (share of the portfolio) off the target of their last check-up."""

    client_id: int
    distance: float
    checkup_on: dt.date


def nav_on_or_before(day: dt.date) -> Any:
    """A subquery (product_id, nav) of each product's latest NAV on or before `day`."""
    latest = (select(NavPoint.product_id.label("pid"), func.max(NavPoint.date).label("d"))
              .where(NavPoint.date <= day).group_by(NavPoint.product_id).subquery())
    point = aliased(NavPoint)
    return (select(point.product_id.label("product_id"), point.nav.label("nav"))
            .join(latest, (latest.c.pid == point.product_id) & (latest.c.d == point.date)).subquery())


def clients_in_loss(session: Session, clients: Select[Any], today: dt.date, threshold: float) -> dict[int, Loss]:
    """Clients selected by `clients` (a SELECT of client ids) with a market holding down more than `threshold`
    since purchase (market value against cost) or over the last 30 days (NAV against NAV then): their worst one."""
    now_nav, then_nav = nav_on_or_before(today), nav_on_or_before(today - dt.timedelta(days=LOOKBACK_DAYS))
    rows = session.execute(
        select(Holding.client_id, Product.name, Holding.market_value, Holding.cost, Holding.opened_on, now_nav.c.nav,
               then_nav.c.nav)
        .join(Product, Holding.product_id == Product.id)
        .outerjoin(now_nav, now_nav.c.product_id == Holding.product_id)
        .outerjoin(then_nav, then_nav.c.product_id == Holding.product_id)
        .where(Holding.client_id.in_(clients), Product.category.in_(MARKET_CATEGORIES), Holding.units > 0))
    found: dict[int, Loss] = {}
    since_day = today - dt.timedelta(days=LOOKBACK_DAYS)
    for client_id, name, value, cost, opened_on, nav_now, nav_then in rows:
        since = loss_ratio(float(value), float(cost))
        held_long = opened_on is not None and opened_on <= since_day
        recent = loss_ratio(float(nav_now), float(nav_then)) if held_long and nav_now and nav_then else None
        changes = [x for x in (since, recent) if x is not None]
        if not changes or min(changes) > -threshold:
            continue
        loss = Loss(client_id, name, since, recent, float(value))
        if client_id not in found or loss.worst < found[client_id].worst:
            found[client_id] = loss
    return found


def _targets(payload: dict[str, Any]) -> dict[str, float] | None:
    """The target weights by asset class in a check-up proposal's allocation chart (None when absent)."""
    for chart in payload.get("charts") or []:
        if chart.get("name") == "allocation":
            data = chart.get("data") or {}
            weights = {CLASS_OF_LABEL.get(label, "other"): float(w)
                       for label, w in zip(data.get("labels") or [], data.get("target") or [], strict=False)}
            total = sum(weights.values())
            return {c: w / total for c, w in weights.items()} if total > 0 else None
    return None


def drifted_clients(session: Session, clients: Select[Any], threshold: float) -> dict[int, Drift]:
    """Clients selected by `clients` whose holdings are more than `threshold` (share of the portfolio) away from
    the target allocation of their latest check-up."""
    latest = (select(Proposal.client_id.label("cid"), func.max(Proposal.id).label("pid"))
              .where(Proposal.kind == "checkup", Proposal.client_id.in_(clients))
              .group_by(Proposal.client_id).subquery())
    checkups = session.execute(select(Proposal.client_id, Proposal.payload, Proposal.created_at)
                               .join(latest, latest.c.pid == Proposal.id)).all()
    if not checkups:
        return {}
    amounts: dict[int, dict[str, float]] = {}
    for client_id, category, value in session.execute(
            select(Holding.client_id, Product.category, func.sum(Holding.market_value))
            .join(Product, Holding.product_id == Product.id)
            .where(Holding.client_id.in_([c for c, _, _ in checkups]))
            .group_by(Holding.client_id, Product.category)):
        amounts.setdefault(client_id, {})[category] = float(value or 0)
    found: dict[int, Drift] = {}
    for client_id, payload, created_at in checkups:
        target = _targets(payload or {})
        current = class_weights(amounts.get(client_id, {}))
        if target is None or not current:
            continue
        distance = allocation_drift(current, target)
        if distance > threshold:
            found[client_id] = Drift(client_id, round(distance, 4), created_at.date())
    return found


def clients_of(advisor_ids: Sequence[int]) -> Select[Any]:
    """A SELECT of the ids of these advisors' clients."""
    return select(Client.id).where(Client.advisor_id.in_(list(advisor_ids)))

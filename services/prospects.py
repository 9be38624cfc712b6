"""Prospect lists for advisors: who in the viewer's scope to call about a product, a portfolio or a tier.

Suitability is never relaxed: a client appears for a product only with a valid (present, unexpired)
assessment at or above the product's risk level; the others are counted, not listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bank.access import visible_client_ids
from bank.clients import phone_tail
from bank.directory import Identity
from bank.models import Client, Holding, ModelPortfolio, Product
from calc.money import fmt_wan
from calc.risk import RISK_VALID_DAYS, assessment_expired, is_suitable, level_rank

MATURING_DAYS = 30
IDLE_CATEGORIES = ("deposit", "cash_management")
ZERO = Decimal("0.00")


class UnknownProduct(LookupError):
    """No product (or model portfolio) matches the given code, name or id."""


@dataclass(frozen=True)
class Prospect:
    """One ranked client with the figures behind the score and a one-line Chinese reason."""

    client_id: int
    name: str
    phone_tail: str
    risk_level: str | None
    total_assets: Decimal
    idle_cash: Decimal
    maturing_30d: Decimal
    score: Decimal
    reason: str
    gap: Decimal = ZERO


@dataclass(frozen=True)
class ProspectList:
    """Ranked prospects (best first), plus how many clients were skipped and why."""

    target: str
    items: list[Prospect] = field(default_factory=list)
    skipped_unassessed: int = 0
    skipped_unsuitable: int = 0


def _positions(session: Session, viewer: Identity | None, today: dt.date,
               among: Collection[int] | None = None) -> list[tuple[Client, Decimal, Decimal, Decimal]]:
    """(client, total assets, idle cash, maturing in 30 days) for every visible client (only those `among`, a
    segment's or a tag's clients, when given), in one statement.

    Idle cash is deposit and cash-management money not already counted as maturing.
    """
    horizon = today + dt.timedelta(days=MATURING_DAYS)
    maturing = Holding.maturity_date.between(today, horizon)
    sums = (
        select(
            Holding.client_id.label("cid"),
            func.sum(Holding.market_value).label("total"),
            func.sum(case((maturing, ZERO), (Product.category.in_(IDLE_CATEGORIES), Holding.market_value),
                          else_=ZERO)).label("idle"),
            func.sum(case((maturing, Holding.market_value), else_=ZERO)).label("maturing"),
        )
        .join(Product, Holding.product_id == Product.id)
        .where(Holding.client_id.in_(visible_client_ids(viewer)))
        .group_by(Holding.client_id)
        .subquery()
    )
    query = (select(Client, sums.c.total, sums.c.idle, sums.c.maturing)
             .outerjoin(sums, sums.c.cid == Client.id)
             .where(Client.id.in_(visible_client_ids(viewer))))
    if among is not None:
        query = query.where(Client.id.in_(list(among)))
    rows = session.execute(query.order_by(Client.id)).all()
    money = lambda v: Decimal(v or 0).quantize(Decimal("0.01"))  # noqa: E731
    return [(c, money(t), money(i), money(m)) for c, t, i, m in rows]


def _rank_for(
    session: Session, viewer: Identity | None, today: dt.date, risk_level: str, min_amount: Decimal,
    target: str, limit: int, valid_days: int, among: Collection[int] | None = None,
) -> ProspectList:
    items: list[tuple[bool, Prospect]] = []
    unassessed = unsuitable = 0
    for client, total, idle, maturing in _positions(session, viewer, today, among):
        if level_rank(client.risk_level) is None or assessment_expired(client.risk_assessed_on, today, valid_days):
            unassessed += 1
            continue
        if not is_suitable(client.risk_level, risk_level):
            unsuitable += 1
            continue
        available = idle + maturing
        headroom = available - min_amount
        reason = f"风险等级{client.risk_level}适配{risk_level}；可用资金{fmt_wan(available)}"
        if maturing > 0:
            reason += f"（其中{MATURING_DAYS}天内到期{fmt_wan(maturing)}）"
        reason += f"，满足起购额{min_amount:.0f}元" if headroom >= 0 else f"，距起购额{min_amount:.0f}元差{-headroom:.0f}元"
        items.append((headroom >= 0, Prospect(client.id, client.name, phone_tail(client.phone), client.risk_level,
                                              total, idle, maturing, available, reason)))
    items.sort(key=lambda t: (not t[0], -t[1].score, t[1].client_id))
    return ProspectList(target, [p for _, p in items[:limit]], unassessed, unsuitable)


def prospects_for_product(
    session: Session, viewer: Identity | None, product_code: str, today: dt.date, limit: int = 10,
    valid_days: int = RISK_VALID_DAYS, among: Collection[int] | None = None,
) -> ProspectList:
    """The viewer's suitable clients for `product_code` (only those `among` a segment's or tag's clients, when
    given), ranked by idle plus soon-maturing money.

    Clients whose available money reaches the minimum amount come first.
    """
    product = session.execute(select(Product).where(Product.code == product_code)).scalar_one_or_none()
    if product is None:
        raise UnknownProduct(f"product_code: no product {product_code!r}")
    return _rank_for(session, viewer, today, product.risk_level, product.min_amount,
                     f"{product.name}（{product.code}）", limit, valid_days, among)


def product_named_in(session: Session, text: str) -> Product | None:
    """An on-sale product whose code or full name occurs in `text` (longest name first)."""
    products = session.scalars(select(Product).where(Product.on_sale.is_(True))).all()
    upper = text.upper()
    for product in sorted(products, key=lambda p: -len(p.name)):
        if product.name in text or product.code.upper() in upper:
            return product
    return None


def portfolio_requirements(portfolio: ModelPortfolio) -> tuple[str, Decimal]:
    """The highest item risk level and the smallest amount that meets every item's minimum at its weight."""
    highest = max((i.product.risk_level for i in portfolio.items), key=lambda r: level_rank(r) or 5,
                  default=portfolio.risk_level)
    minimum = max((Decimal(i.product.min_amount) / Decimal(str(i.weight)) for i in portfolio.items), default=ZERO)
    return highest, minimum.quantize(Decimal("0.01"))


def prospects_for_portfolio(
    session: Session, viewer: Identity | None, portfolio_name_or_id: str | int, today: dt.date, limit: int = 10,
    valid_days: int = RISK_VALID_DAYS, among: Collection[int] | None = None,
) -> ProspectList:
    """Like prospects_for_product, judged against the portfolio's riskiest item and its minimum amount."""
    from services.portfolios import find_portfolio  # services.portfolios imports this module's UnknownProduct

    portfolio = find_portfolio(session, portfolio_name_or_id)
    highest, minimum = portfolio_requirements(portfolio)
    return _rank_for(session, viewer, today, highest, minimum, portfolio.name, limit, valid_days, among)


def prospects_by_assets(
    session: Session, viewer: Identity | None, today: dt.date,
    tiers: tuple[int, ...] = (50_000, 500_000, 6_000_000), limit: int = 10, among: Collection[int] | None = None,
) -> ProspectList:
    """Clients closest below their next asset tier (smallest missing share first), with the amount missing."""
    ordered = sorted(Decimal(t) for t in tiers)
    ranked: list[tuple[Decimal, Prospect]] = []
    for client, total, idle, maturing in _positions(session, viewer, today, among):
        tier = next((t for t in ordered if total < t), None)
        if tier is None:
            continue
        gap = tier - total
        reason = f"总资产{fmt_wan(total)}，距{fmt_wan(tier)}档还差{gap:.2f}元"
        ranked.append((gap / tier, Prospect(client.id, client.name, phone_tail(client.phone), client.risk_level,
                                            total, idle, maturing, total, reason, gap)))
    ranked.sort(key=lambda t: (t[0], t[1].client_id))
    return ProspectList("资产升档", [p for _, p in ranked[:limit]])

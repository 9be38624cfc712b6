"""Maturity calendar: holdings maturing in a period, grouped by date, each with a reinvestment that fits.

Only clients the viewer may see (bank.access) appear. Suggestions never exceed the client's risk level and
are withheld when the client has no valid (present and unexpired) assessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.access import visible_client_ids
from bank.clients import phone_tail
from bank.directory import Identity
from bank.models import CATEGORY_NAMES, Client, Holding, Product
from calc.risk import assessment_expired, is_suitable, level_rank

KIND_OF_CATEGORY = {
    "deposit": "fixed", "wmp": "fixed", "cash_management": "fixed",
    "bond_fund": "fund", "mixed_fund": "fund", "equity_fund": "fund", "index_fund": "fund", "qdii_fund": "fund",
    "gold": "gold",
    "annuity_insurance": "insurance", "critical_illness_insurance": "insurance", "life_insurance": "insurance",
}
NO_TERM = 10_000


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    category_zh: str
    risk_level: str
    term_days: int | None


@dataclass(frozen=True)
class MaturityItem:
    """One holding maturing: the client (name and phone tail only), the product and its market value."""

    client_id: int
    client_name: str
    phone_tail: str
    client_risk_level: str | None
    product_code: str
    product_name: str
    category_zh: str
    amount: Decimal
    suggestion: Suggestion | None


@dataclass(frozen=True)
class MaturityDay:
    date: dt.date
    items: list[MaturityItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0.00"))


def pick_reinvestment(candidates: Iterable[Product], client_risk_level: str | None, product: Product) -> Product | None:
    """The best candidate for money leaving `product`: same kind, risk ≤ client, same category, nearest term."""
    if level_rank(client_risk_level) is None:
        return None
    kind = KIND_OF_CATEGORY.get(product.category)
    term = product.term_days if product.term_days is not None else NO_TERM
    fitting = [
        p for p in candidates
        if p.on_sale and KIND_OF_CATEGORY.get(p.category) == kind
        and is_suitable(client_risk_level, p.risk_level)
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda p: (
        p.category != product.category,
        abs((p.term_days if p.term_days is not None else NO_TERM) - term),
        -(level_rank(p.risk_level) or 0),
        p.code,
    ))


def suggest_reinvestment(session: Session, client_risk_level: str | None, product: Product) -> Product | None:
    """An on-sale product of a similar kind whose risk fits `client_risk_level`; None without a valid level."""
    if level_rank(client_risk_level) is None:
        return None
    candidates = session.execute(select(Product).where(Product.on_sale.is_(True))).scalars().all()
    return pick_reinvestment(candidates, client_risk_level, product)


def _suggestion(p: Product | None) -> Suggestion | None:
    if p is None:
        return None
    return Suggestion(p.code, p.name, CATEGORY_NAMES[p.category], p.risk_level, p.term_days)


def maturities(
    session: Session, viewer: Identity | None, start: dt.date, end: dt.date, today: dt.date | None = None
) -> list[MaturityDay]:
    """Holdings of visible clients maturing in [start, end], grouped by date (ascending), largest first.

    `today` (default `start`) decides whether an assessment has expired; expired ones get no suggestion.
    """
    today = today or start
    rows = session.execute(
        select(Holding, Client, Product)
        .join(Client, Holding.client_id == Client.id).join(Product, Holding.product_id == Product.id)
        .where(Holding.maturity_date >= start, Holding.maturity_date <= end,
               Holding.client_id.in_(visible_client_ids(viewer)))
        .order_by(Holding.maturity_date, Holding.market_value.desc(), Holding.id)
    ).all()
    candidates = session.execute(select(Product).where(Product.on_sale.is_(True))).scalars().all()
    days: dict[dt.date, MaturityDay] = {}
    for holding, client, product in rows:
        level = None if assessment_expired(client.risk_assessed_on, today) else client.risk_level
        item = MaturityItem(
            client.id, client.name, phone_tail(client.phone), client.risk_level, product.code, product.name,
            CATEGORY_NAMES[product.category], holding.market_value,
            _suggestion(pick_reinvestment(candidates, level, product)),
        )
        assert holding.maturity_date is not None
        days.setdefault(holding.maturity_date, MaturityDay(holding.maturity_date)).items.append(item)
    return list(days.values())

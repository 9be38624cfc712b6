"""Model portfolios: finding one by name or id, and sizing its items from an amount."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from bank.models import ModelPortfolio, ModelPortfolioItem, Product
from services.prospects import UnknownProduct

CENT = Decimal("0.01")
CURRENT_MODELS = and_(ModelPortfolio.kind == "model", ModelPortfolio.superseded_at.is_(None))
"""The house's model portfolios in force: the version of each that has not been superseded."""


@dataclass(frozen=True)
class PortfolioLine:
    """One item of a model portfolio with the amount it gets from a given total."""

    product_id: int
    code: str
    name: str
    risk_level: str
    weight: float
    min_amount: Decimal
    amount: Decimal
    category: str = ""


def split_amount(total: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """Split `total` by `weights` into cents; the rounding remainder goes to the largest weight, so the parts
    always add up to the total.

    >>> split_amount(Decimal("10000"), [0.3, 0.3, 0.25, 0.15])
    [Decimal('3000.00'), Decimal('3000.00'), Decimal('2500.00'), Decimal('1500.00')]
    >>> parts = split_amount(Decimal("100.00"), [1 / 3, 1 / 3, 1 / 3]); parts, sum(parts)
    ([Decimal('33.34'), Decimal('33.33'), Decimal('33.33')], Decimal('100.00'))
    """
    total = Decimal(total).quantize(CENT)
    parts = [(total * Decimal(str(w))).quantize(CENT, ROUND_DOWN) for w in weights]
    if parts:
        largest = max(range(len(parts)), key=lambda i: (weights[i], -i))
        parts[largest] += total - sum(parts)
    return parts


def default_amount(minimum: Decimal) -> Decimal:
    """The amount a push uses when the advisor names none: the portfolio minimum rounded up to whole thousands.

    >>> default_amount(Decimal("33333.34")), default_amount(Decimal("0"))
    (Decimal('34000'), Decimal('1000'))
    """
    thousands = (Decimal(minimum) / 1000).quantize(Decimal(1), ROUND_UP)
    return max(thousands, Decimal(1)) * 1000


def portfolio_lines(portfolio: ModelPortfolio, amount: Decimal) -> list[PortfolioLine]:
    """The portfolio's items (largest weight first) with the part of `amount` each one gets."""
    items = sorted(portfolio.items, key=lambda i: (-i.weight, i.product.code))
    parts = split_amount(amount, [i.weight for i in items])
    return [PortfolioLine(i.product_id, i.product.code, i.product.name, i.product.risk_level, i.weight,
                          Decimal(i.product.min_amount), part, i.product.category) for i, part in zip(items, parts, strict=True)]


def find_portfolio(session: Session, key: str | int) -> ModelPortfolio:
    """A model portfolio by id (any version) or exact name (the version in force), with its items and products
    loaded; UnknownProduct otherwise."""
    query = select(ModelPortfolio).options(
        selectinload(ModelPortfolio.items).joinedload(ModelPortfolioItem.product))
    text = str(key).strip()
    query = (query.where(ModelPortfolio.id == int(text)) if text.isdigit()
             else query.where(ModelPortfolio.name == text, ModelPortfolio.superseded_at.is_(None)))
    portfolio = session.execute(query).scalar_one_or_none()
    if portfolio is None or not portfolio.items:
        raise UnknownProduct(f"portfolio: no model portfolio {key!r}")
    return portfolio


def portfolio_named_in(session: Session, text: str) -> ModelPortfolio | None:
    """The house model portfolio a message names: a full name ("稳健组合") first, else a short one ("稳健") that
    is not part of a product's name ("稳健添利90天理财" names a product, not 稳健组合)."""
    names = session.execute(select(ModelPortfolio.id, ModelPortfolio.name).where(CURRENT_MODELS)).all()
    ordered = sorted(names, key=lambda row: -len(row[1]))
    for pid, name in ordered:
        if name in text:
            return find_portfolio(session, pid)
    products = session.scalars(select(Product.name)).all()
    for pid, name in ordered:
        short = name.removesuffix("组合")
        hits = [m.start() for m in re.finditer(re.escape(short), text)] if len(short) >= 2 else []
        if any(not any(short in p and _inside(text, start, p, short) for p in products) for start in hits):
            return find_portfolio(session, pid)
    return None


def _inside(text: str, start: int, product: str, short: str) -> bool:
    """Whether the `short` name found at `start` of `text` is part of `product`'s name written there.

    >>> _inside("推稳健添利90天理财", 1, "稳健添利90天理财", "稳健"), _inside("推稳健的", 1, "稳健添利90天理财", "稳健")
    (True, False)
    """
    offset = product.index(short)
    begin = start - offset
    return begin >= 0 and text[begin:begin + len(product)] == product


def portfolio_names(session: Session) -> list[tuple[str, str]]:
    """(name, risk level) of every house model portfolio (not a push's single product or mix), for a re-ask."""
    return [(n, r) for n, r in session.execute(
        select(ModelPortfolio.name, ModelPortfolio.risk_level).where(CURRENT_MODELS)
        .order_by(ModelPortfolio.risk_level, ModelPortfolio.name))]


def portfolio_choices(session: Session) -> str:
    """The model portfolios to choose from, for a re-ask: "稳健组合（R2）、…"."""
    return "、".join(f"{name}（{risk}）" for name, risk in portfolio_names(session))

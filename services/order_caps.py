"""Order caps: one confirmation's amount is capped (ORDER_MAX_AMOUNT) and checked against the client's investable
assets (ORDER_MAX_SHARE_OF_ASSETS of them); a refusal says why, for the client and the advisor."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.models import INSURANCE_CATEGORIES, Client, Holding, Product
from calc.money import fmt_yuan


def investable_assets(session: Session, client: Client) -> Decimal:
    """What the client could invest: holdings at this bank at market value (insurance left out: its cash value
    is not at hand) plus the assets elsewhere they declared."""
    held = session.scalar(select(func.coalesce(func.sum(Holding.market_value), 0))
                          .join(Product, Holding.product_id == Product.id)
                          .where(Holding.client_id == client.id, Product.category.not_in(INSURANCE_CATEGORIES)))
    return Decimal(held or 0) + Decimal(client.external_assets or 0)


def cap_reason(amount: Decimal, max_amount: Decimal, assets: Decimal, share: float = 1.0) -> str | None:
    """Why `amount` may not be ordered (in Chinese), or None: above the per-order cap, or above `share` of the
    client's investable `assets`.

    >>> cap_reason(Decimal("6000000"), Decimal("5000000"), Decimal("9e9"))
    '金额6,000,000.00元超过单笔上限5,000,000.00元'
    >>> cap_reason(Decimal("50000"), Decimal("5000000"), Decimal("30000"))
    '金额50,000.00元超过可投资资产30,000.00元'
    >>> cap_reason(Decimal("50000"), Decimal("5000000"), Decimal("80000")) is None
    True
    """
    if amount > max_amount:
        return f"金额{fmt_yuan(amount)}超过单笔上限{fmt_yuan(max_amount)}"
    allowed = (assets * Decimal(str(share))).quantize(Decimal("0.01"))
    if amount > allowed:
        return f"金额{fmt_yuan(amount)}超过可投资资产{fmt_yuan(allowed)}"
    return None


def order_cap_reason(session: Session, client: Client, amount: Decimal, max_amount: float,
                     share_of_assets: float) -> str | None:
    """`cap_reason` for a client on record (their investable assets from bank/)."""
    return cap_reason(Decimal(amount), Decimal(str(max_amount)), investable_assets(session, client), share_of_assets)

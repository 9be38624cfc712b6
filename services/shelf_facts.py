"""What the product shelf says about one product: term, liquidity, reference return, and NAV paths over one period.

The catalogue (bank.models.Product) has no liquidity field, so it is derived here, once, from the category and
term: cash management pays out the same day (T+0), open-ended funds on the usual settlement day after
redemption, fixed-term deposits and 理财 are closed until maturity, a fund named "…N年持有" locks each purchase
for N years, and insurance is long-term. Products without a NAV (deposits, 理财, cash management) accrue the
midpoint of their expected range (services.backtests.accrual_path), as back-tests do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import INSURANCE_CATEGORIES, NavPoint, Product
from calc.money import fmt_pct
from calc.performance import total_return
from lexicon.numbers import parse_years
from services.backtests import accrual_path

SETTLEMENT_DAYS: Mapping[str, int] = {"cash_management": 0, "bond_fund": 1, "mixed_fund": 2, "equity_fund": 2,
                                      "index_fund": 2, "gold": 2, "qdii_fund": 7}
"""Working days from redemption to cash for open-ended products (the usual figures for such products)."""
LONG_DAYS = 36500
"""The "term" of insurance: held for life or decades (surrender loses money)."""
_HOLDING = re.compile(r"([一二两三四五六七八九十0-9]+)年持有")


@dataclass(frozen=True)
class Liquidity:
    """How soon money comes back: kind "T0" | "T1" | "Tn" (open-ended, n working days) | "closed" (until the
    term ends) | "long" (insurance), the days, and the words for it."""

    kind: str
    days: int
    text: str

    @property
    def open_ended(self) -> bool:
        return self.kind in ("T0", "T1", "Tn")


def holding_years(name: str) -> int | None:
    """Years each purchase is locked for a fund named "…三年持有" (None for other names).

    >>> holding_years("远航养老目标2040三年持有"), holding_years("远航纯债债券A")
    (3, None)
    """
    match = _HOLDING.search(name)
    return parse_years(match.group(0)) if match else None


def term_days(product: Product) -> int | None:
    """The days money is committed: the fixed term, a holding period, LONG_DAYS for insurance, None when open.

    >>> term_days(Product(name="x", category="wmp", term_days=90)), term_days(Product(name="x", category="bond_fund"))
    (90, None)
    """
    if product.term_days:
        return int(product.term_days)
    if (years := holding_years(product.name)) is not None:
        return years * 365
    if product.category in INSURANCE_CATEGORIES:
        return LONG_DAYS
    return None


def term_text(product: Product) -> str:
    """The term as a client reads it.

    >>> term_text(Product(name="x", category="deposit", term_days=365)), term_text(Product(name="x", category="gold"))
    ('365天', '开放式，无固定期限')
    """
    if product.term_days:
        return f"{product.term_days}天"
    if (years := holding_years(product.name)) is not None:
        return f"每笔最短持有{years}年"
    if product.category in INSURANCE_CATEGORIES:
        return "长期（按保单约定）"
    return "开放式，无固定期限"


def liquidity(product: Product) -> Liquidity:
    """How soon a client gets money back from `product` (see the module docstring).

    >>> liquidity(Product(name="x", category="cash_management")).text
    'T+0，随时可取'
    >>> liquidity(Product(name="x", category="deposit", term_days=91)).text
    '定期91天，提前支取按活期计息'
    """
    days = term_days(product)
    if product.category in INSURANCE_CATEGORIES:
        return Liquidity("long", LONG_DAYS, "长期保障，提前退保可能损失本金")
    if product.category == "deposit" and days:
        return Liquidity("closed", days, f"定期{days}天，提前支取按活期计息")
    if days:
        if holding_years(product.name) is not None:
            return Liquidity("closed", days, f"每笔持有满{days // 365}年后可赎回")
        return Liquidity("closed", days, f"封闭期{days}天，到期兑付")
    settle = SETTLEMENT_DAYS.get(product.category, 2)
    if settle == 0:
        return Liquidity("T0", 0, "T+0，随时可取")
    return Liquidity("T1" if settle == 1 else "Tn", settle, f"无封闭期，赎回约T+{settle}到账")


def expected_mid(product: Product) -> float | None:
    """The midpoint of the expected (or benchmark) return range, None without one.

    >>> expected_mid(Product(expected_return_low=0.022, expected_return_high=0.028))
    0.025
    """
    if product.expected_return_low is None and product.expected_return_high is None:
        return None
    low = product.expected_return_low if product.expected_return_low is not None else product.expected_return_high
    high = product.expected_return_high if product.expected_return_high is not None else low
    return round((float(low) + float(high)) / 2, 10)  # type: ignore[arg-type]


def return_text(product: Product, past_year: float | None) -> str:
    """The return a list shows: the rate, the benchmark range, or the past year's return (said to be past).

    >>> return_text(Product(category="deposit", expected_return_low=0.014, expected_return_high=0.014), None)
    '年利率1.40%'
    >>> return_text(Product(category="wmp", expected_return_low=0.022, expected_return_high=0.028), None)
    '业绩比较基准2.20%–2.80%（年化）'
    >>> return_text(Product(category="bond_fund"), 0.0321)
    '近一年3.21%（过往业绩不代表未来）'
    """
    low, high = product.expected_return_low, product.expected_return_high
    if product.category == "deposit" and low is not None:
        return f"年利率{fmt_pct(low)}"
    if low is not None and high is not None:
        same = abs(low - high) < 1e-9
        return f"{'参考年化' if product.category in INSURANCE_CATEGORIES else '业绩比较基准'}" + \
            (fmt_pct(low) if same else f"{fmt_pct(low)}–{fmt_pct(high)}") + "（年化）"
    if past_year is not None:
        return f"近一年{fmt_pct(past_year)}（过往业绩不代表未来）"
    if product.category in INSURANCE_CATEGORIES:
        return "保障型，不以收益为目的"
    return "暂无收益数据"


def past_year_returns(session: Session, products: Sequence[Product], today: dt.date) -> dict[int, float]:
    """Each NAV product's total return over the last year (latest NAV against the NAV a year before), by id."""
    ids = [p.id for p in products if expected_mid(p) is None]
    if not ids:
        return {}
    rows = session.execute(select(NavPoint.product_id, NavPoint.date, NavPoint.nav).where(
        NavPoint.product_id.in_(ids), NavPoint.date > today - dt.timedelta(days=372), NavPoint.date <= today)
        .order_by(NavPoint.product_id, NavPoint.date)).all()
    by_product: dict[int, list[tuple[dt.date, float]]] = {}
    for product_id, day, nav in rows:
        by_product.setdefault(product_id, []).append((day, float(nav)))
    start = today - dt.timedelta(days=365)
    found: dict[int, float] = {}
    for product_id, points in by_product.items():
        before = [nav for day, nav in points if day <= start] or [points[0][1]]
        if len(points) >= 2:
            found[product_id] = total_return([before[-1], points[-1][1]])
    return found


def reference_return(product: Product, past_year: Mapping[int, float]) -> float | None:
    """The one yearly figure filters and sorting use: the expected midpoint, else the past year's return."""
    mid = expected_mid(product)
    return mid if mid is not None else past_year.get(product.id)


def nav_paths(session: Session, products: Sequence[Product], today: dt.date,
              fallback_days: int = 365) -> tuple[pd.DataFrame, bool]:
    """NAVs of `products` over their common period (columns: product codes), and whether any is a real NAV.

    Products without NAV accrue their expected midpoint over the same dates; when none has a NAV, the period
    is the last `fallback_days` calendar days.
    """
    ids = {p.id: p.code for p in products}
    rows = session.execute(select(NavPoint.date, NavPoint.product_id, NavPoint.nav)
                           .where(NavPoint.product_id.in_(list(ids)), NavPoint.date <= today)).all()
    if rows:
        frame = (pd.DataFrame(rows, columns=["date", "product", "nav"])
                 .pivot(index="date", columns="product", values="nav").astype(float).sort_index())
        frame = frame.rename(columns=ids)
        real = [code for code in frame.columns]
        frame = frame.dropna(subset=real)  # the dates every NAV product has: one period for all
    else:
        frame = pd.DataFrame(index=pd.Index([today - dt.timedelta(days=n) for n in range(fallback_days, -1, -1)]))
    for product in products:
        if product.code not in frame.columns or frame[product.code].isna().all():
            frame[product.code] = accrual_path(frame.index, expected_mid(product) or 0.0) if len(frame) else []
    return frame[[p.code for p in products]], bool(rows)

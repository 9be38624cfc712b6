"""Pushes of products rather than a house model portfolio: one product ("把稳健添利90天推给张伟"), an insurance
product, or a mix the advisor names ("远航纯债和天天利各一半").

Each becomes a portfolio row of kind 'single' or 'adhoc' (made on demand, reused when identical, listed nowhere
the house's model portfolios are), so suitability, order caps, confirmation and settlement treat it exactly like
a model portfolio (services/pushes.py, services/push_decisions.py). Products are matched by the shelf's matcher
(services/shelf_picks.py); shares are read from the words ("各一半", "六四开", "70%和30%").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bank.models import INSURANCE_CATEGORIES, ModelPortfolio, ModelPortfolioItem, Product
from calc.risk import level_rank
from lexicon.numbers import parse_int
from services.portfolios import PortfolioLine
from services.settings import get_settings
from services.shelf_picks import named_products

MAX_PRODUCTS = 5
NAME_LENGTH = 64  # model_portfolios.name
_CN_DIGITS = "一二三四五六七八九"
_PERCENT = re.compile(r"(?:百分之([零一二两三四五六七八九十百]{1,4}|\d{1,3}(?:\.\d+)?)|(\d{1,3}(?:\.\d+)?)\s*[%％])")
_SPLIT_WORDS = re.compile(rf"([{_CN_DIGITS}])([{_CN_DIGITS}])开|([1-9])\s*[:：比]\s*([1-9])(?:开)?")
_HALVES = re.compile(r"各一半|一半一半|对半分?|五五开|平均分?配?|平分|等额|各占一半")


KIND_TITLES = {"model": "组合推荐", "single": "产品推荐", "adhoc": "组合推荐", "insurance": "保险推荐"}


def kind_title(kind: str, cooling_off: str) -> str:
    """What a push is called on its card and page.

    >>> kind_title("single", ""), kind_title("single", "犹豫期15天"), kind_title("model", "")
    ('产品推荐', '保险推荐', '组合推荐')
    """
    return KIND_TITLES["insurance" if kind == "single" and cooling_off else kind]


class SharesProblem(ValueError):
    """The shares the advisor gave cannot be used; the message (Chinese) names the problem."""


@dataclass(frozen=True)
class Shares:
    """Shares read from a message, in percent, in text order (empty: none given); `spans` are the words read."""

    percents: list[Decimal]
    spans: list[tuple[int, int]]


def read_shares(text: str) -> Shares:
    """The shares a message gives: percentages ("70%和30%", "百分之六十"), "六四开" / "3:7", or an even split
    ("各一半", empty percents with its span).

    >>> read_shares("远航纯债和天天利，70%和30%").percents
    [Decimal('70'), Decimal('30')]
    >>> read_shares("六四开").percents, read_shares("各一半").percents, read_shares("百分之四十").percents
    ([Decimal('60'), Decimal('40')], [], [Decimal('40')])
    """
    percents: list[Decimal] = []
    spans: list[tuple[int, int]] = []
    for match in _PERCENT.finditer(text):
        words = match.group(1) or match.group(2)
        value = parse_int(words) if match.group(1) and not words[0].isdigit() else Decimal(words)
        if value is not None:
            percents.append(Decimal(value))
            spans.append(match.span())
    if not percents and (match := _SPLIT_WORDS.search(text)):
        if match.group(1):
            percents = [Decimal(10 * (_CN_DIGITS.index(match.group(g)) + 1)) for g in (1, 2)]
        else:
            first, second = int(match.group(3)), int(match.group(4))
            percents = [Decimal(100 * first) / (first + second), Decimal(100 * second) / (first + second)]
        spans.append(match.span())
    spans += [m.span() for m in _HALVES.finditer(text)]
    return Shares(percents, spans)


def weights_for(count: int, shares: Shares) -> list[float]:
    """The weight of each of `count` products: equal without shares, else the shares, which must be one per
    product and add up to 100%; SharesProblem (in Chinese) otherwise.

    >>> weights_for(2, Shares([], [])), weights_for(2, Shares([Decimal(70), Decimal(30)], []))
    ([0.5, 0.5], [0.7, 0.3])
    >>> weights_for(2, Shares([Decimal(70), Decimal(20)], []))
    Traceback (most recent call last):
    ...
    services.push_products.SharesProblem: 两个产品的比例加起来是90%，需要正好100%，请重新说一下比例，比如“70%和30%”。
    """
    if not shares.percents:
        return [1 / count] * count
    numbers = "零一两三四五"
    many = numbers[count] if count < len(numbers) else str(count)
    if len(shares.percents) != count:
        raise SharesProblem(f"您说了{len(shares.percents)}个比例，但点了{many}个产品，请每个产品给一个比例，"
                            f"比如“70%和30%”。")
    if any(p <= 0 for p in shares.percents):
        raise SharesProblem("每个产品的比例都要大于0%，请重新说一下比例。")
    total = sum(shares.percents, Decimal(0))
    if abs(total - 100) > Decimal("0.01"):
        raise SharesProblem(f"{many}个产品的比例加起来是{total.normalize():f}%，需要正好100%，请重新说一下比例，"
                            f"比如“70%和30%”。")
    return [float(p / 100) for p in shares.percents]


def without_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the given spans blanked (so a share's digits are not read as an amount).

    >>> without_spans("各一半，每人5万", [(0, 3)])
    '，，，，每人5万'
    """
    for start, end in spans:
        text = text[:start] + "，" * (end - start) + text[end:]
    return text


def products_named(session: Session, text: str) -> list[Product]:
    """The on-sale products a push message names (the shelf's matcher), at most MAX_PRODUCTS."""
    return named_products(session, text)[:MAX_PRODUCTS]


def _name(products: Sequence[Product], weights: Sequence[float]) -> str:
    """The portfolio's name: the product's name, or the products with their shares; unique per content."""
    if len(products) == 1:
        name = products[0].name
    else:
        name = "+".join(f"{p.name}{round(w * 100, 2):g}%" for p, w in zip(products, weights, strict=True))
    if len(name) > NAME_LENGTH:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:NAME_LENGTH - 10]}…#{digest}"
    return name


def product_portfolio(session: Session, products: Sequence[Product], weights: Sequence[float],
                      created_by: int | None) -> ModelPortfolio:
    """The 'single' or 'adhoc' portfolio of `products` at `weights`: an identical one if it exists, else a new
    one (flushed). Its risk is the highest of its products'."""
    kind = "single" if len(products) == 1 else "adhoc"
    name = _name(products, weights)
    existing = session.execute(select(ModelPortfolio).options(selectinload(ModelPortfolio.items))
                               .where(ModelPortfolio.name == name, ModelPortfolio.kind == kind)).scalar_one_or_none()
    wanted = {p.id: round(w, 6) for p, w in zip(products, weights, strict=True)}
    if existing is not None and {i.product_id: round(i.weight, 6) for i in existing.items} == wanted:
        return existing
    if existing is not None:  # same name, other content: cannot happen by construction; refuse rather than mix
        raise SharesProblem(f"已有同名的推送组合“{name}”，请换个说法。")
    risk = max((p.risk_level for p in products), key=lambda r: level_rank(r) or 5)
    portfolio = ModelPortfolio(name=name, risk_level=risk, kind=kind, created_by_id=created_by,
                               description="" if kind == "single" else "理财经理为本次推送选定的产品组合。",
                               items=[ModelPortfolioItem(product_id=p.id, weight=w)
                                      for p, w in zip(products, weights, strict=True)])
    session.add(portfolio)
    session.flush()
    return portfolio


def cooling_off_note(lines: Sequence[PortfolioLine], days: int | None = None) -> str:
    """The 犹豫期 sentence for a push that holds insurance ("" without insurance); days from the settings.

    >>> line = PortfolioLine(1, "CI002", "福寿康宁重疾险", "R1", 1.0, Decimal(3000), Decimal(3000),
    ...                      "critical_illness_insurance")
    >>> cooling_off_note([line], 15)
    '“福寿康宁重疾险”为保险产品，金额即保费；犹豫期15天，期间可全额退保。'
    """
    insured = [line.name for line in lines if line.category in INSURANCE_CATEGORIES]
    if not insured:
        return ""
    days = get_settings().insurance_cooling_off_days if days is None else days
    names = "、".join(f"“{name}”" for name in insured)
    return f"{names}为保险产品，金额即保费；犹豫期{days}天，期间可全额退保。"

"""Managers correct the house model portfolios (建立初步模型，经专家修正): preview a change, then save it as the
portfolio's next version.

A change is said in chat ("把稳健组合的债券比例调到60%", "稳健组合里去掉黄金", "稳健组合改成远航纯债60%、天天利40%")
or made on the web page (every product's weight). Each saved change is a new row of model_portfolios with the
next version number; the old row is marked superseded and keeps its items, so a push refers to exactly the
weights it pushed (portfolio_pushes.portfolio_id). A version is valid when its weights add up to 100%, every
product exists and is on sale, and its risk level is the highest of its products'.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bank.models import Identity, ModelPortfolio, ModelPortfolioItem, Product
from calc.errors import CalcInputError
from calc.model_weights import check_weights, rounded, set_share
from calc.money import fmt_share
from calc.risk import level_rank
from lexicon.shelf_terms import CATEGORY_WORDS
from services.house_view import require_manager
from services.portfolios import find_portfolio, portfolio_named_in
from services.prospects import UnknownProduct
from services.push_products import products_named, read_shares


class EditProblem(ValueError):
    """The change cannot be made as said; the message (Chinese) says why and what to say instead."""


@dataclass(frozen=True)
class EditLine:
    """One product of the portfolio before and after the change (a weight of 0: not in it)."""

    code: str
    name: str
    risk_level: str
    before: float
    after: float


@dataclass(frozen=True)
class EditPreview:
    """A change to show before it is saved: `portfolio_id` is the version it changes (a save refuses when that
    version has been superseded meanwhile) and `weights` the new weights by product code."""

    portfolio_id: int
    name: str
    version: int
    risk_before: str
    risk_after: str
    lines: list[EditLine]
    weights: dict[str, float]
    summary: str

    def as_dict(self) -> dict[str, object]:
        """Plain values (for a slot or a hidden form field)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> EditPreview:
        """The preview `as_dict` gave; KeyError or TypeError for anything else."""
        values = dict(data)
        values["lines"] = [EditLine(**line) for line in values["lines"]]  # type: ignore[union-attr]
        return cls(**values)  # type: ignore[arg-type]


_REMOVE = re.compile(r"去掉|删掉|删除|移除|拿掉|剔除|不要|清掉")
_ADD = re.compile(r"加入|加上|加进|增加|添加|放入|纳入")


def _loaded(session: Session, portfolio_id: int) -> ModelPortfolio:
    return find_portfolio(session, portfolio_id)


def _products(session: Session, codes: Sequence[str]) -> dict[str, Product]:
    rows = session.scalars(select(Product).where(Product.code.in_(list(codes)))).all()
    return {p.code: p for p in rows}


def highest_risk(products: Sequence[Product]) -> str:
    """The portfolio's risk level: the highest of its products'."""
    return max((p.risk_level for p in products), key=lambda r: level_rank(r) or 5)


def preview_weights(session: Session, manager: Identity, portfolio: ModelPortfolio, weights: Mapping[str, float],
                    summary: str = "") -> EditPreview:
    """The preview of giving the current version of `portfolio` these weights (by product code); EditProblem when
    they do not add up to 100%, name an unknown or closed product, or change nothing; ManagersOnly for anyone
    but a manager."""
    require_manager(manager)
    if portfolio.kind != "model" or portfolio.superseded_at is not None:
        raise EditProblem(f"“{portfolio.name}”第{portfolio.version}版已不是现行版本，请重新打开组合再修改。")
    try:
        check_weights(weights)
    except CalcInputError as error:
        raise EditProblem(f"{error.reason_zh}请重新说一下比例。") from None
    new = rounded(weights)
    products = _products(session, list(new))
    unknown = [code for code in new if code not in products]
    if unknown:
        raise EditProblem(f"没有找到产品{unknown[0]}，请检查产品代码。")
    closed = [products[code].name for code in new if not products[code].on_sale]
    if closed:
        raise EditProblem(f"“{closed[0]}”已停售，不能放进模型组合。")
    before = {item.product.code: item.weight for item in portfolio.items}
    if before == new:
        raise EditProblem("调整后的比例和现在完全一样，没有需要保存的修改。")
    by_code = {item.product.code: item.product for item in portfolio.items} | products
    lines = [EditLine(code, by_code[code].name, by_code[code].risk_level, before.get(code, 0.0), new.get(code, 0.0))
             for code in sorted({*before, *new}, key=lambda c: (-new.get(c, 0.0), -before.get(c, 0.0), c))]
    risk_after = highest_risk([products[c] for c in new])
    text = summary or "；".join(f"{line.name} {fmt_share(line.before)}→{fmt_share(line.after)}"
                               for line in lines if abs(line.before - line.after) > 1e-9)
    return EditPreview(portfolio.id, portfolio.name, portfolio.version, portfolio.risk_level, risk_after, lines, new,
                       text[:200])


def _part_named(portfolio: ModelPortfolio, text: str) -> tuple[list[str], str] | None:
    """The product codes of the portfolio a kind word names ("债券" → its bond funds) and the word."""
    pattern = re.compile("|".join(re.escape(w) for w in sorted(CATEGORY_WORDS, key=len, reverse=True)), re.IGNORECASE)
    lookup = {w.lower(): c for w, c in CATEGORY_WORDS.items()}
    match = pattern.search(text)
    if match is None:
        return None
    categories = lookup[match.group(0).lower()]
    return [i.product.code for i in portfolio.items if i.product.category in categories], match.group(0)


def preview_from_text(session: Session, manager: Identity, text: str) -> EditPreview:
    """Read a change from a message and preview it. EditProblem (Chinese) when no portfolio, part or share is
    named, the shares do not add up to 100%, or the part named is not in the portfolio."""
    require_manager(manager)
    named = portfolio_named_in(session, text)
    if named is None:
        raise EditProblem("要改哪个模型组合？请说出组合名称，比如“把稳健组合的债券比例调到60%”。")
    rest = text.replace(named.name, "，").replace(named.name.removesuffix("组合"), "，")
    products = products_named(session, rest)
    for product in products:
        rest = rest.replace(product.name, "，")
    shares = read_shares(rest)
    removing = bool(_REMOVE.search(rest)) and not shares.percents
    current = {i.product.code: i.weight for i in named.items}
    if len(products) >= 2 and len(shares.percents) == len(products) and not _ADD.search(rest):
        return preview_weights(session, manager, named, {p.code: float(s / 100) for p, s in
                                                         zip(products, shares.percents, strict=True)})
    if len(products) >= 2 or len(shares.percents) > 1:
        raise EditProblem("一次请只调整一个产品或一类资产，比如“把稳健组合的债券比例调到60%”；"
                          "要整体重设，请每个产品给一个比例，加起来100%。")
    if products:
        part, label = [products[0].code], products[0].name
    else:
        found = _part_named(named, rest)
        if found is None:
            raise EditProblem(f"要调整“{named.name}”的哪一部分？可以说产品名称或资产类别，比如“债券比例调到60%”。")
        part, label = found
        if not part:
            raise EditProblem(f"“{named.name}”里没有{label}类产品；要加入新产品，请说出产品名称，"
                              f"比如“把{named.name}加入某某产品10%”。")
    if removing:
        share = 0.0
    elif shares.percents:
        share = float(shares.percents[0] / 100)
    else:
        raise EditProblem(f"{label}要调到多少？请说一个比例，比如“调到60%”。")
    try:
        weights = set_share(current, part, share)
    except CalcInputError as error:
        raise EditProblem(error.reason_zh) from None
    held = sum(current.get(code, 0.0) for code in part)
    summary = f"{label} {fmt_share(held)}→{fmt_share(share)}，其余按原比例调整"
    return preview_weights(session, manager, named, weights, summary)


def save_edit(session: Session, manager: Identity, preview: EditPreview, now: dt.datetime) -> ModelPortfolio:
    """Save a previewed change as the next version (flushed, in the caller's transaction): re-checked against
    the catalogue and refused (EditProblem) when the version it changes has been superseded meanwhile."""
    staff_id = require_manager(manager)
    try:
        old = _loaded(session, preview.portfolio_id)
    except UnknownProduct:
        raise EditProblem("没有找到这个组合版本，请重新预览。") from None
    if old.superseded_at is not None:
        latest = session.scalar(select(ModelPortfolio.version).where(
            ModelPortfolio.name == old.name, ModelPortfolio.superseded_at.is_(None)))
        raise EditProblem(f"“{old.name}”已被修改为第{latest}版，请在最新版本上重新预览后再确认。")
    checked = preview_weights(session, manager, old, preview.weights, preview.summary)
    products = _products(session, list(checked.weights))
    old.superseded_at = now
    session.flush()
    new = ModelPortfolio(name=old.name, risk_level=checked.risk_after, description=old.description,
                         created_by_id=staff_id, kind="model", version=old.version + 1, change_note=checked.summary,
                         items=[ModelPortfolioItem(product_id=products[code].id, weight=weight)
                                for code, weight in checked.weights.items()])
    session.add(new)
    session.flush()
    return new


def versions(session: Session, name: str) -> list[ModelPortfolio]:
    """Every version of the house portfolio `name`, newest first, items loaded."""
    return list(session.scalars(select(ModelPortfolio).options(
        selectinload(ModelPortfolio.items).joinedload(ModelPortfolioItem.product))
        .where(ModelPortfolio.name == name, ModelPortfolio.kind == "model")
        .order_by(ModelPortfolio.version.desc())))


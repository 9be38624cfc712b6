"""The product shelf: search and filter the catalogue in a client's words (comparisons: services/shelf_compare.py;
asking the advisor about a product: services/shelf_handoff.py). Chat and web share these use cases.

Suitability first (calc.risk.is_suitable, the assessment's validity from bank.risk_profiles): a product above
the client's level is never offered for purchase; when the client asked for such products they are returned
apart, with the reason and how to re-assess. Without a usable assessment (none, expired, or nobody signed in)
products may be looked at, but the client is told to assess before buying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import CATEGORY_NAMES, Product
from bank.risk_profiles import LEVEL_NAMES_ZH, RISK_VALID_DAYS, RiskStatus, risk_status
from calc import clock
from calc.errors import CalcInputError
from calc.money import fmt_pct, fmt_yuan
from calc.risk import is_suitable, level_rank
from lexicon.shelf_terms import RISK_NAMES, ShelfQuery, parse_shelf_query
from services.checkups import (
    CATEGORY_WHY,
    RISK_NOTICE,
)
from services.risk import expired_note
from services.shelf_facts import (
    liquidity,
    past_year_returns,
    reference_return,
    return_text,
    term_days,
    term_text,
)

__all__ = ["ShelfInputError", "ShelfItem", "ShelfQuery", "ShelfResult", "browse", "parse_shelf_query"]

REASSESS = "如您的收入、投资经验或目标有变化，可在对话中发送“风险测评”重新评估（约3分钟），结果更新后再看适合您的产品。"
PAST_NOTICE = "过往业绩不代表未来表现，收益数字均为历史数据或业绩比较基准，不构成收益承诺。"
SHORT_MONEY_DAYS = 1095
"""Money needed within this many days is not put into open-ended products that swing (T+2 and slower funds)."""
TOLERABLE_DRAWDOWN = {1: 0.0, 2: 0.05, 3: 0.15, 4: 0.30, 5: 0.50}
"""The largest fall each client level is taken to bear: calc.risk's questionnaire answers on loss tolerance
(不能承受任何亏损 / 5%以内 / 5%-15% / 15%-30% / 30%以上)."""
ASK_AGAIN_WITHIN = dt.timedelta(minutes=30)
"""A second press of "ask my advisor" for the same product within this time does not message the advisor again."""


class ShelfInputError(CalcInputError):
    """A shelf request that cannot be answered as given (e.g. comparing one product): names the field."""


@dataclass(frozen=True)
class ShelfItem:
    """One product on the list, display-ready: amounts exact to the fen, rates as percentages."""

    code: str
    name: str
    category: str
    category_name: str
    risk_level: str
    risk_text: str
    term: str
    liquidity: str
    minimum: str
    returns: str
    reason: str
    purchasable: bool
    why_not: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ShelfResult:
    """A shelf answer: products offered (or only shown, when `may_buy` is False), those asked for but above the
    client's level, and what to tell the client."""

    query: ShelfQuery
    items: list[ShelfItem]
    unsuitable: list[ShelfItem]
    matched: int
    hidden_above_level: int
    assessment: str  # "valid" | "expired" | "none" | "anonymous"
    client_level: str | None
    notice: str
    reassess: str
    ignored_keywords: tuple[str, ...] = ()
    risk_notice: str = RISK_NOTICE

    @property
    def may_buy(self) -> bool:
        return self.assessment == "valid"

    def as_dict(self) -> dict[str, Any]:
        query = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self.query).items()}
        return {"query": query, "items": [i.as_dict() for i in self.items],
                "unsuitable": [i.as_dict() for i in self.unsuitable], "matched": self.matched,
                "hidden_above_level": self.hidden_above_level, "assessment": self.assessment,
                "client_level": self.client_level, "may_buy": self.may_buy, "notice": self.notice,
                "reassess": self.reassess, "ignored_keywords": list(self.ignored_keywords),
                "risk_notice": self.risk_notice}


def _status(session: Session, client_id: int | None, today: dt.date, valid_days: int) -> tuple[str, RiskStatus | None]:
    if client_id is None:
        return "anonymous", None
    status = risk_status(session, client_id, today, valid_days)
    if status.level is None:
        return "none", status
    return ("expired" if status.expired else "valid"), status


def assessment_notice(assessment: str, status: RiskStatus | None) -> str:
    """What a client is told about buying, by the state of their risk assessment.

    >>> assessment_notice("none", None)
    '您还没有做过风险测评。以下产品仅供了解，购买前请先完成风险测评（在对话中发送“风险测评”）。'
    >>> assessment_notice("expired", RiskStatus("C3", dt.date(2024, 5, 1), True))
    '您的风险测评（C3，2024-05-01）已超过一年，以下产品仅供了解，购买前请先重新测评（发送“风险测评”）。'
    """
    if assessment == "valid" and status is not None and status.level:
        level = int(status.level[1])
        return f"已按您的风险等级{status.level}（{LEVEL_NAMES_ZH[level]}）筛选，只列出R{level}及以下的产品。"
    if assessment == "expired" and status is not None:
        return (f"您的风险测评（{status.level}，{status.assessed_on}）{expired_note()}，以下产品仅供了解，"
                "购买前请先重新测评（发送“风险测评”）。")
    if assessment == "none":
        return "您还没有做过风险测评。以下产品仅供了解，购买前请先完成风险测评（在对话中发送“风险测评”）。"
    return "登录并完成风险测评后，才能知道哪些产品适合您购买。以下产品仅供了解。"


def _keyword_hits(products: Sequence[Product], keywords: Sequence[str]) -> tuple[list[str], list[str]]:
    """(keywords found in some product's name, issuer or description, keywords found nowhere)."""
    texts = [f"{p.name} {p.issuer} {p.description} {p.code}".upper() for p in products]
    found = [k for k in keywords if any(k.upper() in t for t in texts)]
    return found, [k for k in keywords if k not in found]


def _deposit_reference(products: Sequence[Product], kind: str) -> tuple[float, str]:
    """The rate "above deposits" (the one-year fixed deposit, else the best deposit) or "above 货币基金"."""
    if kind == "cash_management":
        rates = [reference_return(p, {}) or 0.0 for p in products if p.category == "cash_management"]
        return (max(rates) if rates else 0.0), "货币基金"
    deposits = [p for p in products if p.category == "deposit" and p.expected_return_low is not None]
    year = [p for p in deposits if p.term_days == 365]
    pick = year[0] if year else max(deposits, key=lambda p: p.expected_return_low or 0.0, default=None)
    return (float(pick.expected_return_low or 0.0), "1年定期存款") if pick else (0.0, "定期存款")


def _fits(product: Product, query: ShelfQuery, figure: float | None, above: float | None,
          keywords: Sequence[str]) -> bool:
    """Whether a product meets every filter of the query (suitability is decided apart)."""
    days, liq = term_days(product), liquidity(product)
    checks = [
        not query.categories or product.category in query.categories,
        product.category not in query.excluded_categories,
        not query.risk_levels or (level_rank(product.risk_level) or 0) in query.risk_levels,
        query.min_amount_max is None or product.min_amount <= query.min_amount_max,
        query.min_amount_min is None or product.min_amount >= query.min_amount_min,
        query.return_min is None or (figure is not None and figure >= query.return_min - 1e-12),
        query.return_max is None or (figure is not None and figure <= query.return_max + 1e-12),
        above is None or (figure is not None and figure > above + 1e-12),
        not keywords or any(k.upper() in f"{product.name} {product.issuer} {product.description} {product.code}".upper()
                            for k in keywords),
    ]
    if query.liquidity == "T0":
        checks.append(liq.kind == "T0")
    elif query.liquidity == "T1":
        checks.append(liq.kind in ("T0", "T1"))
    elif query.liquidity == "open":
        checks.append(liq.open_ended)
    elif query.liquidity == "closed":
        checks.append(liq.kind == "closed")
    if query.term_max_days is not None:
        short_ok = liq.kind in ("T0", "T1") or (liq.kind == "Tn" and query.term_max_days >= SHORT_MONEY_DAYS)
        checks.append(short_ok if days is None else days <= query.term_max_days)
    if query.term_min_days is not None:
        checks.append(days is None or days >= query.term_min_days)
    return all(checks)


def _reason(product: Product, query: ShelfQuery, figure: float | None, above: tuple[float, str] | None,
            keywords: Sequence[str], status: RiskStatus | None) -> str:
    """One line on why the product fits what was asked (at most three points)."""
    points: list[str] = []
    days, liq = term_days(product), liquidity(product)
    if query.term_max_days is not None or query.term_min_days is not None:
        points.append(f"期限{product.term_days}天" if product.term_days else term_text(product))
    if query.liquidity:
        points.append(liq.text)
    if query.min_amount_max is not None:
        points.append(f"起购{fmt_yuan(float(product.min_amount))}，不超过{fmt_yuan(float(query.min_amount_max))}")
    if above is not None and figure is not None:
        points.append(f"参考收益{fmt_pct(figure)}，高于{above[1]}的{fmt_pct(above[0])}")
    elif (query.return_min is not None or query.return_max is not None or query.sort == "return") and figure is not None:
        points.append(f"参考收益{fmt_pct(figure)}")
    if keywords:
        points.append("名称含“" + "”“".join(k for k in keywords if k.upper() in product.name.upper()) + "”"
                      if any(k.upper() in product.name.upper() for k in keywords) else f"{product.issuer}发行")
    if status is not None and status.level and not status.expired and len(points) < 3:
        points.append(f"{product.risk_level}不超过您的{status.level}")
    if not points or (len(points) == 1 and days is None and not query.asks_risk):
        points.insert(0, CATEGORY_WHY.get(product.category, product.category_name))
    return "；".join(points[:3])


def _item(product: Product, figure: float | None, past: dict[int, float], reason: str, purchasable: bool,
          why_not: str = "") -> ShelfItem:
    level = level_rank(product.risk_level) or 0
    return ShelfItem(code=product.code, name=product.name, category=product.category,
                     category_name=CATEGORY_NAMES[product.category], risk_level=product.risk_level,
                     risk_text=RISK_NAMES.get(level, ""), term=term_text(product), liquidity=liquidity(product).text,
                     minimum=fmt_yuan(float(product.min_amount)), returns=return_text(product, past.get(product.id)),
                     reason=reason, purchasable=purchasable, why_not=why_not)


def _order(query: ShelfQuery, product: Product, figure: float | None) -> tuple[Any, ...]:
    """Sort key: the requested order, else fixed terms that match a term wish first, then the higher figure."""
    level = level_rank(product.risk_level) or 0
    fees = product.subscription_fee + product.management_fee + product.redemption_fee
    by_figure = -(figure if figure is not None else -1.0)
    keys = {"risk": (level, by_figure), "minimum": (product.min_amount, by_figure), "fees": (fees, by_figure),
            "return": (by_figure, level)}
    if query.sort in keys:
        return (*keys[query.sort], product.code)
    fixed_first = 0 if (query.term_max_days or query.term_min_days) and product.term_days else 1
    return fixed_first, by_figure, level, product.code


def _by_turns(ranked: list[tuple[Product, float | None]]) -> list[tuple[Product, float | None]]:
    """The ranked products taken one category at a time (best of each kind first), so a broad question
    shows a spread of kinds rather than five of one."""
    queues: dict[str, list[tuple[Product, float | None]]] = {}
    for pair in ranked:
        queues.setdefault(pair[0].category, []).append(pair)
    out: list[tuple[Product, float | None]] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                out.append(queue.pop(0))
    return out


def browse(session: Session, client_id: int | None, query: ShelfQuery | str, limit: int = 5, *,
           today: dt.date | None = None, valid_days: int = RISK_VALID_DAYS) -> ShelfResult:
    """A short ranked list of on-sale products for `query` (a ShelfQuery or the client's words).

    With a valid assessment only products at or below the client's level are listed; the ones above it that
    the client asked for (by level, kind or name) come back in `unsuitable`, the others are only counted.
    Raises bank.risk_profiles.UnknownClient for an unknown client id.
    """
    query = parse_shelf_query(query) if isinstance(query, str) else query
    if limit < 1 or limit > 50:
        raise ShelfInputError("limit", f"must be 1-50, got {limit}", "每次最多列出50个产品")
    today = today or clock.today()
    assessment, status = _status(session, client_id, today, valid_days)
    products = session.scalars(select(Product).where(Product.on_sale.is_(True)).order_by(Product.code)).all()
    keywords, ignored = _keyword_hits(products, query.keywords)
    past = past_year_returns(session, products, today)
    above = _deposit_reference(products, query.above) if query.above else None
    matched = [(p, reference_return(p, past)) for p in products]
    matched = [(p, f) for p, f in matched if _fits(p, query, f, above[0] if above else None, keywords)]
    matched.sort(key=lambda pair: _order(query, *pair))
    if not query.categories and not query.sort:
        matched = _by_turns(matched)
    level = int(status.level[1]) if status is not None and status.level else None
    within = [(p, f) for p, f in matched if level is None or is_suitable(level, p.risk_level)]
    beyond = [(p, f) for p, f in matched if level is not None and not is_suitable(level, p.risk_level)]
    asked_beyond = beyond if query.asks_risk else []
    why_not = (f"风险等级高于您的{status.level}（{LEVEL_NAMES_ZH[level]}），按适当性规定不能向您销售"
               if level is not None and status is not None else "")
    items = [_item(p, f, past, _reason(p, query, f, above, keywords, status), assessment == "valid")
             for p, f in within[:limit]]
    unsuitable = [_item(p, f, past, _reason(p, query, f, above, keywords, None), False,
                        f"{p.risk_level}{why_not}") for p, f in asked_beyond[:limit]]
    return ShelfResult(query=query, items=items, unsuitable=unsuitable, matched=len(within),
                       hidden_above_level=len(beyond) - len(asked_beyond), assessment=assessment,
                       client_level=status.level if status else None, notice=assessment_notice(assessment, status),
                       reassess=REASSESS if unsuitable or assessment in ("none", "expired") else "",
                       ignored_keywords=tuple(ignored))

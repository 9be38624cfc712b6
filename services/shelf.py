"""The product shelf: search and filter the catalogue in a client's words, compare two or three products, and
ask the advisor about one. Chat and web share these use cases.

Suitability first (calc.risk.is_suitable, the assessment's validity from bank.risk_profiles): a product above
the client's level is never offered for purchase; when the client asked for such products they are returned
apart, with the reason and how to re-assess. Without a usable assessment (none, expired, or nobody signed in)
products may be looked at, but the client is told to assess before buying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.handoffs import KIND as HANDOFF_KIND
from bank.handoffs import prepare_handoff, summary_card
from bank.models import CATEGORY_NAMES, INSURANCE_CATEGORIES, Product
from bank.notifications import add_notification, told_since
from bank.risk_profiles import LEVEL_NAMES_ZH, RISK_VALID_DAYS, RiskStatus, risk_status
from calc import clock
from calc.checkup import run_checkup
from calc.errors import CalcInputError
from calc.money import fmt_pct, fmt_yuan
from calc.performance import (
    TRADING_DAYS,
    annualized_return,
    annualized_volatility,
    max_drawdown,
    simple_returns,
)
from calc.performance import total_return as nav_total_return
from calc.risk import is_suitable, level_rank
from lexicon.shelf_terms import RISK_NAMES, ShelfQuery, parse_shelf_query
from services.checkups import (
    CATEGORY_WHY,
    DEFAULT_HORIZON_YEARS,
    RISK_NOTICE,
    checkup_input,
    client_facts,
    pot_line,
)
from services.links import public_url
from services.prospects import UnknownProduct
from services.risk import expired_note
from services.shelf_facts import (
    expected_mid,
    liquidity,
    nav_paths,
    past_year_returns,
    reference_return,
    return_text,
    term_days,
    term_text,
)

__all__ = ["AdvisorRequest", "Comparison", "ShelfInputError", "ShelfItem", "ShelfQuery", "ShelfResult",
           "ask_advisor", "browse", "compare", "parse_shelf_query"]

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


@dataclass(frozen=True)
class Comparison:
    """Two or three products side by side over one period, with the verdict for the client."""

    codes: list[str]
    names: list[str]
    rows: list[tuple[str, list[str]]]
    start: str
    end: str
    figures: dict[str, dict[str, float]]
    basis: dict[str, str]
    suitable: dict[str, bool | None]
    verdict: list[str]
    best: str | None
    chart: dict[str, Any]
    horizon_years: float
    risk_notice: str = RISK_NOTICE
    past_notice: str = PAST_NOTICE
    notes: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.start}至{self.end}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows": [{"label": label, "values": values} for label, values in self.rows],
                "period": self.period}


def _products(session: Session, codes: Sequence[str]) -> list[Product]:
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c and c.strip()))
    if not 2 <= len(wanted) <= 3:
        raise ShelfInputError("codes", f"need 2 or 3 distinct product codes, got {len(wanted)}", "请选择2到3个产品对比")
    found = {p.code.upper(): p for p in session.scalars(select(Product).where(Product.code.in_(
        [c for c in wanted] + [c.lower() for c in wanted])))}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise UnknownProduct(f"codes: no product {missing[0]!r}")
    return [found[c] for c in wanted]


def _figures(series: Any, periods_per_year: float) -> dict[str, float]:
    returns = simple_returns(series)
    return {"total_return": nav_total_return(series), "annualized_return": annualized_return(series, periods_per_year),
            "max_drawdown": max_drawdown(series).depth,
            "volatility": annualized_volatility(returns, periods_per_year) if len(returns) > 1 else 0.0}


def _verdict(session: Session, client_id: int | None, products: Sequence[Product], figures: dict[str, dict[str, float]],
             horizon_years: float, today: dt.date, valid_days: int) -> tuple[list[str], str | None, dict[str, bool | None]]:
    """"哪个适合我": from the client's level, horizon and three pots; (lines, best code, suitable by code)."""
    assessment, status = _status(session, client_id, today, valid_days)
    if assessment != "valid" or status is None or not status.level:
        return [assessment_notice(assessment, status)], None, {p.code: None for p in products}
    level = int(status.level[1])
    suitable = {p.code: is_suitable(level, p.risk_level) for p in products}
    lines = [f"{p.name}（{p.risk_level}）高于您的风险等级{status.level}，不能购买。" for p in products if not suitable[p.code]]
    facts = client_facts(session, client_id, today, valid_days)  # type: ignore[arg-type]
    result = run_checkup(checkup_input(age=facts.age, monthly_income=facts.monthly_income,
                                       monthly_expenses=facts.monthly_expenses, dependants=facts.dependants,
                                       holdings=facts.holdings, insurance=facts.insurance, risk_level=status.level,
                                       facts=facts, horizon_years=horizon_years))
    horizon_days = horizon_years * 365
    fit = [p for p in products if suitable[p.code]
           and (p.category in INSURANCE_CATEGORIES or (term_days(p) or 0) <= horizon_days)
           and (liquidity(p).kind != "Tn" or horizon_days >= SHORT_MONEY_DAYS)]
    for p in products:
        if suitable[p.code] and p not in fit:
            lines.append(f"{p.name}：{term_text(p)}，与您{horizon_years:g}年的投资期限不匹配。")
    if not fit:
        return [*lines, "这几只产品都不适合您现在购买，可以请理财经理按您的情况推荐。"], None, suitable
    if result.pot("liquidity").gap > 0:
        best = min(fit, key=lambda p: (liquidity(p).days, -figures[p.code]["annualized_return"]))
        lines.append(pot_line(result, "liquidity") + f"。先补足这笔钱更要紧：{best.name}{liquidity(best).text}，更适合。")
    elif result.pot("protection").gap > 0 and any(p.category in INSURANCE_CATEGORIES for p in fit):
        best = next(p for p in fit if p.category in INSURANCE_CATEGORIES)
        lines.append(pot_line(result, "protection") + f"。保障缺口优先：{best.name}更适合。")
    else:
        bearable = [p for p in fit if -figures[p.code]["max_drawdown"] <= TOLERABLE_DRAWDOWN[level] + 1e-9]
        best = (max(bearable, key=lambda p: figures[p.code]["annualized_return"]) if bearable
                else max(fit, key=lambda p: figures[p.code]["max_drawdown"]))
        f = figures[best.code]
        lines.append(f"{pot_line(result, 'growth')}。按您的{status.level}（{LEVEL_NAMES_ZH[level]}）和{horizon_years:g}年期限，"
                     f"{best.name}更适合：同期年化{fmt_pct(f['annualized_return'])}，最大回撤{fmt_pct(f['max_drawdown'])}"
                     f"（{status.level}一般可承受约{fmt_pct(TOLERABLE_DRAWDOWN[level], 0)}以内的回撤）。")
    return lines, best.code, suitable


def compare(session: Session, client_id: int | None, product_codes: Sequence[str], *,
            horizon_years: float = DEFAULT_HORIZON_YEARS, today: dt.date | None = None,
            valid_days: int = RISK_VALID_DAYS) -> Comparison:
    """Two or three products side by side: fees, risk, term, liquidity, minimum, and return and max drawdown
    over the same period (the dates every NAV product has; accrual for the others), with "哪个适合我".

    Raises ShelfInputError (field "codes" or "horizon_years") and services.prospects.UnknownProduct.
    """
    if not 0 < horizon_years <= 50:
        raise ShelfInputError("horizon_years", f"must be in (0, 50], got {horizon_years}", "投资期限应在0到50年之间")
    today = today or clock.today()
    products = _products(session, product_codes)
    navs, real = nav_paths(session, products, today)
    if len(navs) < 2:
        raise ShelfInputError("codes", "these products have no common period of prices", "这几只产品没有共同的净值区间")
    periods = TRADING_DAYS if real else 365
    figures = {p.code: _figures(navs[p.code], periods) for p in products}
    basis = {p.code: ("按业绩基准中值计息" if expected_mid(p) is not None else
                      "无收益数据（按0计）" if p.category in INSURANCE_CATEGORIES else "历史净值") for p in products}
    past = past_year_returns(session, products, today)
    fee = lambda x: fmt_pct(x) if x else "0"  # noqa: E731
    rows: list[tuple[str, list[str]]] = [
        ("类别", [CATEGORY_NAMES[p.category] for p in products]),
        ("风险等级", [f"{p.risk_level}（{RISK_NAMES.get(level_rank(p.risk_level) or 0, '')}）" for p in products]),
        ("期限", [term_text(p) for p in products]),
        ("流动性", [liquidity(p).text for p in products]),
        ("起购金额", [fmt_yuan(float(p.min_amount)) for p in products]),
        ("认/申购费", [fee(p.subscription_fee) for p in products]),
        ("管理费（年）", [fee(p.management_fee) for p in products]),
        ("赎回费", [fee(p.redemption_fee) for p in products]),
        ("收益参考", [return_text(p, past.get(p.id)) for p in products]),
        ("区间收益", [fmt_pct(figures[p.code]["total_return"]) for p in products]),
        ("年化收益", [fmt_pct(figures[p.code]["annualized_return"]) for p in products]),
        ("最大回撤", [fmt_pct(figures[p.code]["max_drawdown"]) for p in products]),
        ("计算依据", [basis[p.code] for p in products]),
    ]
    verdict, best, suitable = _verdict(session, client_id, products, figures, horizon_years, today, valid_days)
    rows.append(("是否适合您", ["需先测评" if suitable[p.code] is None else ("适合" if suitable[p.code] else "不适合")
                            for p in products]))
    dates = [d.isoformat() for d in navs.index]
    chart = {"name": "shelf_compare", "kind": "line", "title": "同期累计收益对比",
             "data": {"x": dates, "format": "percent",
                      "series": {p.name: [round(float(v) / float(navs[p.code].iloc[0]) - 1, 6) for v in navs[p.code]]
                                 for p in products}}}
    return Comparison(codes=[p.code for p in products], names=[p.name for p in products], rows=rows,
                      start=dates[0], end=dates[-1], figures=figures, basis=basis, suitable=suitable,
                      verdict=verdict, best=best, chart=chart, horizon_years=horizon_years,
                      notes=[f"假设投资期限{horizon_years:g}年，可以改。"])


@dataclass(frozen=True)
class AdvisorRequest:
    """What happened when a client asked their advisor about a product: "sent", "already" or "unassigned"."""

    status: str
    advisor_name: str = ""
    product_name: str = ""


def ask_advisor(session: Session, client_id: int, product_code: str, now: dt.datetime | None = None, *,
                valid_days: int = RISK_VALID_DAYS) -> AdvisorRequest:
    """Hand the client over to their advisor about one product (bank.handoffs, the chat's hand-off): the advisor
    gets a WeCom message in the outbox with the product, the client's suitability for it and a summary link.
    The same request again within ASK_AGAIN_WITHIN is not sent twice. The caller commits.

    Raises services.prospects.UnknownProduct and LookupError (unknown client).
    """
    now = now or clock.now()
    product = session.scalars(select(Product).where(Product.code == product_code.strip().upper())).first()
    if product is None:
        raise UnknownProduct(f"product_code: no product {product_code!r}")
    handoff = prepare_handoff(session, client_id)
    if handoff is None:
        return AdvisorRequest("unassigned", product_name=product.name)
    status = risk_status(session, client_id, now.date(), valid_days)
    if not status.usable:
        fit = "客户的风险测评" + ("已过期" if status.level else "尚未完成") + "，请先协助测评"
    elif is_suitable(status.level or "C1", product.risk_level):
        fit = f"客户{status.level}，产品{product.risk_level}，符合适当性"
    else:
        fit = f"客户{status.level}，产品{product.risk_level}高于客户等级，不能销售，可协助重新测评"
    question = f"想了解{product.name}（{product.code}，{product.risk_level}）"
    text = f"客户{handoff.client_name}（{handoff.phone_tail}）请您联系。\n客户的问题：{question}\n适当性：{fit}"
    if told_since(session, handoff.advisor_userid, HANDOFF_KIND, text, now - ASK_AGAIN_WITHIN):
        return AdvisorRequest("already", handoff.advisor_name, product.name)
    card = summary_card(handoff, question, [{"who": "客户", "text": f"（产品货架）{question}"}],
                        public_url(f"/handoffs/{handoff.token}"))
    card["product"] = {"code": product.code, "name": product.name, "risk_level": product.risk_level, "fit": fit}
    add_notification(session, handoff.advisor_userid, text, kind=HANDOFF_KIND, card=card, now=now)
    return AdvisorRequest("sent", handoff.advisor_name, product.name)

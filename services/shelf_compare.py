"""Two or three products of the shelf side by side (services/shelf.py): fees, risk, term, liquidity, minimum, past
return and drawdown over the same period (calc.performance), a chart, and "哪个适合我" from the client's risk level,
horizon and three pots, with the risk notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.models import CATEGORY_NAMES, INSURANCE_CATEGORIES, Product
from bank.risk_profiles import LEVEL_NAMES_ZH, RISK_VALID_DAYS
from calc import clock
from calc.checkup import run_checkup
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
from lexicon.shelf_terms import RISK_NAMES
from services.checkups import (
    DEFAULT_HORIZON_YEARS,
    RISK_NOTICE,
    checkup_input,
    client_facts,
    pot_line,
)
from services.house_view import house_allocation
from services.prospects import UnknownProduct
from services.shelf import (
    PAST_NOTICE,
    SHORT_MONEY_DAYS,
    TOLERABLE_DRAWDOWN,
    ShelfInputError,
    _status,
    assessment_notice,
)
from services.shelf_facts import (
    expected_mid,
    liquidity,
    nav_paths,
    past_year_returns,
    return_text,
    term_days,
    term_text,
)


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
                                       facts=facts, horizon_years=horizon_years),
                         house_view=house_allocation(session))
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

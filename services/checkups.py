"""Wealth check-up (财富体检) around calc.checkup: a known client's facts from bank/, suitable products, the proposal.

A known client's age, income, expenses, dependants, holdings by category and insurance cover are read from
bank/; the recorded income, expenses and dependants are "stale" when neither the client record nor a check-up
proposal is younger than `PROFILE_VALID_DAYS`, and then the bot asks the client to confirm them. Products are
only ever drawn at or below the client's level (calc.risk.is_suitable).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.clients import age_on
from bank.models import CATEGORY_NAMES, Client, Holding, Product, Proposal, Transaction
from bank.risk_profiles import LEVEL_NAMES_ZH, RiskStatus, status_of
from calc.checkup import CATEGORY_CLASS, CheckupInput, CheckupResult
from calc.money import fmt_pct, fmt_yuan
from calc.risk import RISK_VALID_DAYS, is_suitable, parse_level

PROFILE_VALID_DAYS = 365
"""Income, expenses and dependants on record are confirmed again when older than a year."""
DEFAULT_HORIZON_YEARS = 5.0
"""Investment horizon assumed for the target allocation (stated on the proposal)."""
REFERENCE_LEVEL = "C2"
"""Level used to draw a reference allocation when there is no usable assessment (no products are offered)."""
CASH_CATEGORIES = ("deposit", "cash_management")
RISK_NOTICE = ("风险提示：本报告基于您提供的信息和本行记录测算，仅供参考，不构成投资建议或收益承诺。"
               "理财非存款，产品有风险，投资须谨慎；购买前请阅读产品说明书并确认风险等级与您的测评结果匹配。")
CATEGORY_WHY: Mapping[str, str] = {
    "deposit": "保本保息，适合放应急资金", "cash_management": "随存随取，适合补足随时要用的钱",
    "wmp": "期限明确、波动小，适合稳健增值", "bond_fund": "以债券为主，补足固收部分",
    "mixed_fund": "股债搭配，适度提升长期收益", "equity_fund": "分享企业成长，适合长期资金",
    "index_fund": "分散持有一篮子股票，适合长期定投", "qdii_fund": "配置海外市场，分散单一市场风险",
    "gold": "与股债相关性低，分散风险", "critical_illness_insurance": "补足重疾保障缺口",
    "life_insurance": "补足家庭寿险保障", "annuity_insurance": "锁定长期现金流，适合养老储备",
}
CLASS_ZH: Mapping[str, str] = {"cash": "现金类", "fixed": "固收类", "mixed": "混合类", "equity": "权益类",
                               "overseas": "海外", "gold": "黄金", "other": "其他"}
POT_LABELS: Mapping[str, str] = {"liquidity": "随时要用的钱", "protection": "家庭保障的钱（寿险保额）",
                                 "growth": "财富增值的钱"}


@dataclass(frozen=True)
class ClientFacts:
    """What bank/ knows of a client for a check-up; amounts in yuan, income and expenses per month."""

    client_id: int
    name: str
    age: int
    monthly_income: float
    monthly_expenses: float
    dependants: int
    holdings: dict[str, float]
    life_cover: float
    critical_illness_cover: float
    medical_cover: float
    largest_position: float | None
    annual_premiums: float
    risk: RiskStatus
    stale: bool


def profile_stale(recorded_on: dt.date, last_checkup_on: dt.date | None, today: dt.date,
                  valid_days: int = PROFILE_VALID_DAYS) -> bool:
    """Whether income and expenses on record need confirming: the newer of the record and the last check-up
    is more than `valid_days` old.

    >>> profile_stale(dt.date(2024, 1, 1), None, dt.date(2026, 11, 28))
    True
    >>> profile_stale(dt.date(2024, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 11, 28))
    False
    """
    latest = max(recorded_on, last_checkup_on) if last_checkup_on else recorded_on
    return (today - latest).days > valid_days


def client_facts(session: Session, client_id: int, today: dt.date, valid_days: int = RISK_VALID_DAYS) -> ClientFacts:
    """Facts for a check-up of client `client_id` (LookupError when unknown).

    Holdings are summed by category at market value (insurance at cash value). Only assets held at this bank
    count: the declared estimate of assets elsewhere has no breakdown by kind, and would swamp the picture.
    """
    client = session.get(Client, client_id)
    if client is None:
        raise LookupError(client_id)
    rows = session.execute(
        select(Product.category, Holding.market_value).join(Product, Holding.product_id == Product.id)
        .where(Holding.client_id == client_id)
    ).all()
    holdings: dict[str, float] = {}
    growth_positions = []
    for category, value in rows:
        holdings[category] = holdings.get(category, 0.0) + float(value)
        if CATEGORY_CLASS[category] not in ("cash", "insurance"):
            growth_positions.append(float(value))
    premiums = session.execute(
        select(func.coalesce(func.sum(Transaction.amount), 0)).where(
            Transaction.client_id == client_id, Transaction.kind == "premium",
            Transaction.trade_date > today - dt.timedelta(days=365), Transaction.trade_date <= today)
    ).scalar_one()
    last_checkup = session.execute(
        select(func.max(Proposal.created_at)).where(Proposal.client_id == client_id, Proposal.kind == "checkup")
    ).scalar_one()
    return ClientFacts(
        client_id=client.id, name=client.name, age=age_on(client.birth_date, today),
        monthly_income=float(client.monthly_income), monthly_expenses=float(client.monthly_expenses),
        dependants=int(client.dependants), holdings=holdings, life_cover=float(client.life_cover or 0),
        critical_illness_cover=float(client.critical_illness_cover or 0),
        medical_cover=float(client.medical_cover or 0),
        largest_position=max(growth_positions) if growth_positions else None,
        annual_premiums=float(premiums or 0),
        risk=status_of(client.risk_level, client.risk_assessed_on, today, valid_days),
        stale=profile_stale(client.created_at.date(), last_checkup.date() if last_checkup else None, today),
    )


def checkup_input(*, age: int, monthly_income: float, monthly_expenses: float, dependants: int,
                  holdings: Mapping[str, float], insurance: Mapping[str, float], risk_level: str,
                  facts: ClientFacts | None = None, horizon_years: float = DEFAULT_HORIZON_YEARS) -> CheckupInput:
    """The calc input from what the chat collected (or confirmed); a known client's largest position and
    premiums come from `facts`.

    >>> i = checkup_input(age=35, monthly_income=20000, monthly_expenses=8000, dependants=1,
    ...     holdings={"deposit": 50000}, insurance={"critical_illness": 300000}, risk_level="C3")
    >>> i.critical_illness_cover, i.life_cover, i.horizon_years
    (300000.0, 0.0, 5.0)
    """
    return CheckupInput(
        age=int(age), monthly_income=float(monthly_income), monthly_expenses=float(monthly_expenses),
        dependants=int(dependants), holdings={k: float(v) for k, v in holdings.items()},
        life_cover=float(insurance.get("life", 0.0)),
        critical_illness_cover=float(insurance.get("critical_illness", 0.0)),
        medical_cover=float(insurance.get("medical", 0.0)), risk_level=risk_level, horizon_years=horizon_years,
        largest_position=facts.largest_position if facts else None,
        annual_premiums=facts.annual_premiums if facts else None,
    )


@dataclass(frozen=True)
class LevelChoice:
    """The level a check-up allocates for, whether products may be listed, and a note saying why not."""

    level: str
    products_allowed: bool
    note: str


def level_for_checkup(stored: RiskStatus | None, session_level: str | None = None) -> LevelChoice:
    """Which risk level a check-up uses: a usable stored assessment, else one taken in this chat, else a
    reference level with no products.

    >>> level_for_checkup(RiskStatus("C4", dt.date(2026, 5, 1), False)).level
    'C4'
    >>> c = level_for_checkup(RiskStatus("C4", dt.date(2024, 5, 1), True)); c.level, c.products_allowed
    ('C4', False)
    >>> c = level_for_checkup(None); c.level, c.products_allowed
    ('C2', False)
    >>> level_for_checkup(None, "C3").products_allowed
    True
    """
    if stored is not None and stored.usable and stored.level:
        return LevelChoice(stored.level, True, "")
    if session_level:
        note = "" if stored is not None else "（根据您刚才的测评结果；正式购买前需在本行完成风险测评登记）"
        return LevelChoice(session_level, True, note)
    if stored is not None and stored.level:
        return LevelChoice(stored.level, False, f"您的风险测评（{stored.level}）已超过一年，需要重新测评后才能为您推荐产品。")
    return LevelChoice(REFERENCE_LEVEL, False, "您还没有做过风险测评，配置先按谨慎型（C2）示意；测评后才能为您推荐具体产品。")


def suitable_products(session: Session, client_level: str | int, categories: Sequence[str],
                      limit: int = 3) -> list[Product]:
    """On-sale products in `categories` at or below `client_level`, one per category in the given order
    (the highest risk level the client may take, then by code), then more of each until `limit`.

    Never returns a product above the client's level, whatever the categories.
    """
    level = parse_level(client_level, "C", "client_level")
    allowed = [f"R{n}" for n in range(1, level + 1)]
    wanted = [c for c in dict.fromkeys(categories) if c in CATEGORY_NAMES]
    if not wanted or limit <= 0:
        return []
    rows = session.scalars(
        select(Product).where(Product.on_sale.is_(True), Product.risk_level.in_(allowed),
                              Product.category.in_(wanted))
        .order_by(Product.risk_level.desc(), Product.code)
    ).all()
    queues = {c: [p for p in rows if p.category == c and is_suitable(level, p.risk_level)] for c in wanted}
    chosen: list[Product] = []
    while len(chosen) < limit and any(queues.values()):
        for category in wanted:
            if queues[category] and len(chosen) < limit:
                chosen.append(queues[category].pop(0))
    return chosen


def product_lines(products: Sequence[Product]) -> list[dict[str, str]]:
    """Products in the proposal's schema (code, name, risk_level, category, why)."""
    return [{"code": p.code, "name": p.name, "risk_level": p.risk_level, "category": CATEGORY_NAMES[p.category],
             "why": CATEGORY_WHY.get(p.category, "")} for p in products]


def pot_line(result: CheckupResult, key: str) -> str:
    """One line for a pot: what there is, the suggested range and the gap.

    >>> from calc.checkup import run_checkup
    >>> r = run_checkup(CheckupInput(35, 20000, 8000, holdings={"deposit": 9600}))
    >>> pot_line(r, "liquidity")
    '随时要用的钱：现有9,600.00元，建议24,000.00元–48,000.00元，还差14,400.00元'
    """
    pot = result.pot(key)
    line = f"{POT_LABELS[key]}：现有{fmt_yuan(pot.current)}，建议{fmt_yuan(pot.target_low)}–{fmt_yuan(pot.target_high)}"
    if pot.gap > 0:
        return line + f"，还差{fmt_yuan(pot.gap)}"
    if pot.gap < 0:
        return line + f"，多出{fmt_yuan(-pot.gap)}"
    return line + "，正好合适"


def checkup_summary(result: CheckupResult, findings: int = 3) -> list[str]:
    """The few lines said in chat and printed on the proposal: score, three pots, the top findings."""
    lines = [f"体检得分{result.score}分。"]
    lines += ["· " + pot_line(result, key) for key in ("liquidity", "protection", "growth")]
    top = result.top_findings(findings)
    if top:
        lines.append("主要发现：")
        lines += [f"{n}. {f.text_zh}" for n, f in enumerate(top, start=1)]
    else:
        lines.append("三笔钱安排合理，没有发现明显问题。")
    return lines


def allocation_chart(result: CheckupResult) -> dict[str, Any]:
    """The `allocation` pie_pair chart: current vs target weight by asset class (classes present in either)."""
    classes = [c for c in (*CLASS_ZH,) if result.current_allocation.get(c, 0) > 0 or result.target_allocation.get(c, 0) > 0]
    return {"name": "allocation", "kind": "pie_pair", "title": "资产配置：当前 vs 建议",
            "data": {"labels": [CLASS_ZH[c] for c in classes],
                     "current": [round(result.current_allocation.get(c, 0.0), 4) for c in classes],
                     "target": [round(result.target_allocation.get(c, 0.0), 4) for c in classes]}}


def checkup_payload(result: CheckupResult, *, subject: str, inp: CheckupInput, choice: LevelChoice,
                    products: Sequence[Product]) -> dict[str, Any]:
    """The proposal payload (bank.proposals schema) of a check-up, with the `allocation` pie_pair chart."""
    pots = [[POT_LABELS[p.key], fmt_yuan(p.current), f"{fmt_yuan(p.target_low)}–{fmt_yuan(p.target_high)}",
             fmt_yuan(p.gap) if p.gap > 0 else ("—" if p.gap == 0 else f"多出{fmt_yuan(-p.gap)}")]
            for p in result.pots]
    severity = {"high": "重要", "medium": "关注", "low": "提示"}
    classes = allocation_chart(result)["data"]
    level_name = LEVEL_NAMES_ZH[parse_level(choice.level, "C", "level")]
    sections: list[dict[str, Any]] = [
        {"heading": "三笔钱", "rows": [["", "现有", "建议范围", "缺口"], *pots]},
        {"heading": "体检发现", "rows": [[severity[f.severity], f.text_zh] for f in result.findings]
         or [["—", "没有发现明显问题"]]},
        {"heading": "资产配置", "rows": [["资产类别", "当前", "建议"], *[
            [label, fmt_pct(cur, 0), fmt_pct(tgt, 0)]
            for label, cur, tgt in zip(classes["labels"], classes["current"], classes["target"], strict=True)]]},
        {"heading": "扣分明细", "text": "\n".join(result.reasons)},
    ]
    if choice.note:
        sections.append({"heading": "风险测评", "text": choice.note})
    a = result.assumptions
    assumptions = [
        ["风险等级", f"{choice.level}（{level_name}）"], ["投资期限", f"{inp.horizon_years:g}年"],
        ["应急资金", f"{a['emergency_months_low']}–{a['emergency_months_high']}个月支出"],
        ["寿险保额参考", f"年收入的{a['insurance_multiple']:g}倍（双十原则）"],
        ["重疾保额参考", f"{a['critical_illness_years']:g}年收入"],
        ["保费参考", f"不超过年收入的{fmt_pct(a['premium_share'], 0)}"],
    ]
    return {
        "title": "财富体检报告", "subject": subject, "summary": checkup_summary(result),
        "sections": sections, "charts": [allocation_chart(result)], "assumptions": assumptions,
        "products": product_lines(products) if choice.products_allowed else [], "risk_notice": RISK_NOTICE,
    }

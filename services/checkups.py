"""Wealth check-up (财富体检) around calc.checkup: a known client's facts from bank/, suitable products, the proposal.

`checkup_report` is the use case chat and web share: answers in, a saved proposal and what to say out.

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

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bank.clients import age_on
from bank.masking import mask_name
from bank.models import CATEGORY_NAMES, Client, Holding, Product, Proposal, Transaction
from bank.proposals import chart_path, create_proposal
from bank.risk_profiles import LEVEL_NAMES_ZH, RiskStatus, status_of
from calc.checkup import CATEGORY_CLASS, CLASS_ZH, INPUT_RANGES, CheckupInput, CheckupResult, run_checkup
from calc.money import fmt_approx, fmt_pct, fmt_range, fmt_yuan
from calc.risk import RISK_VALID_DAYS, is_suitable, parse_level
from calc.score import raise_with
from services.house_view import house_allocation
from services.links import public_url
from services.risk import expired_note

PROFILE_VALID_DAYS = 365
"""Income, expenses and dependants on record are confirmed again when older than a year."""
DEFAULT_HORIZON_YEARS = 5.0
"""Investment horizon assumed for the target allocation (stated on the proposal)."""
REFERENCE_LEVEL = "C2"
"""Level used to draw a reference allocation when there is no usable assessment (no products are offered)."""
CASH_CATEGORIES = ("deposit", "cash_management")
PRODUCT_NOTICE = "理财非存款，产品有风险，投资须谨慎；以上不构成投资建议。"
"""Said under every list of products in chat."""
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
POT_LABELS: Mapping[str, str] = {"liquidity": "随时要用的钱", "protection": "家庭保障的钱（寿险保额）",
                                 "growth": "财富增值的钱"}


ANSWER_NAMES: Mapping[str, str] = {"age": "年龄", "income": "月收入", "expenses": "月支出",
                                   "dependants": "需要抚养或赡养的家人", "assets": "资产", "insurance": "保险"}
"""The six check-up answers by name (lexicon.checkup's fields), as a reply names them."""
INSURANCE_NAMES: Mapping[str, str] = {"critical_illness": "重疾险", "life": "寿险", "medical": "医疗险"}
ANSWER_RANGES: Mapping[str, tuple[float, float]] = {
    "age": INPUT_RANGES["age"], "income": INPUT_RANGES["monthly_income"],
    "expenses": INPUT_RANGES["monthly_expenses"], "dependants": INPUT_RANGES["dependants"]}
"""The number answers' accepted ranges: calc's own (calc.checkup.INPUT_RANGES), so chat re-asks what calc rejects."""


def answer_ok(field: str, value: Any) -> bool:
    """Whether an answer is one calc accepts: a number in range (a whole one for dependants), or known kinds
    of assets or cover mapped to amounts in range.

    >>> answer_ok("age", 35.0), answer_ok("age", 300.0), answer_ok("dependants", 1.5), answer_ok("age", True)
    (True, False, False, False)
    >>> answer_ok("assets", {"deposit": 1e5}), answer_ok("insurance", {"car": 1.0}), answer_ok("assets", "x")
    (True, False, False)
    """
    if field in ("assets", "insurance"):
        kinds = CATEGORY_NAMES if field == "assets" else INSURANCE_NAMES
        low, high = INPUT_RANGES["amount"]
        return isinstance(value, dict) and all(k in kinds and low <= v <= high for k, v in value.items())
    low, high = ANSWER_RANGES[field]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    return ok and (field != "dependants" or float(value).is_integer())


def describe_answer(field: str, value: Any) -> str:
    """An answer in words, for "已更新：月收入30,000.00元" (the client's own figures, to the fen).

    >>> describe_answer("income", 30000.0), describe_answer("age", 40.0), describe_answer("dependants", 2.0)
    ('30,000.00元', '40岁', '2位')
    >>> describe_answer("insurance", {"critical_illness": 500000.0}), describe_answer("assets", {})
    ('重疾险500,000.00元', '无')
    """
    if field == "age":
        return f"{int(value)}岁"
    if field == "dependants":
        return f"{int(value)}位"
    if field in ("assets", "insurance"):
        names = CATEGORY_NAMES if field == "assets" else INSURANCE_NAMES
        return "，".join(f"{names.get(k, k)}{fmt_yuan(v)}" for k, v in value.items()) or "无"
    return fmt_yuan(value)


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

    @property
    def insurance(self) -> dict[str, float]:
        """Cover by kind, as the check-up answers hold it."""
        return {"life": self.life_cover, "critical_illness": self.critical_illness_cover, "medical": self.medical_cover}


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
    paid = case((Transaction.kind == "refund", -Transaction.amount), else_=Transaction.amount)  # net of refunds
    premiums = session.execute(
        select(func.coalesce(func.sum(paid), 0)).where(
            Transaction.client_id == client_id, Transaction.kind.in_(("premium", "refund")),
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
        return LevelChoice(stored.level, False,
                           f"您的风险测评（{stored.level}）{expired_note()}，需要重新测评后才能为您推荐产品。")
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


def product_text(products: Sequence[Mapping[str, str]]) -> str:
    """Products (in the proposal's schema) as short chat lines: name, risk level, category, why.

    >>> product_text([{"code": "BF001", "name": "远航纯债债券A", "risk_level": "R2", "category": "债券基金",
    ...                "why": "补足固收部分"}])
    '· 远航纯债债券A（R2，债券基金）：补足固收部分'
    """
    return "\n".join(f"· {p['name']}（{p['risk_level']}，{p['category']}）：{p['why']}" for p in products)


def pot_line(result: CheckupResult, key: str) -> str:
    """One line for a pot: what there is, the suggested range and the gap.

    >>> from calc.checkup import run_checkup
    >>> r = run_checkup(CheckupInput(35, 20000, 8000, holdings={"deposit": 9600}))
    >>> pot_line(r, "liquidity")
    '随时要用的钱：现有9,600.00元，建议2.4万–4.8万元，还差1.4万元'
    """
    pot = result.pot(key)
    line = f"{POT_LABELS[key]}：现有{fmt_yuan(pot.current)}，建议{fmt_range(pot.target_low, pot.target_high)}"
    if pot.gap > 0:
        return line + f"，还差{fmt_approx(pot.gap)}"
    if pot.gap < 0:
        return line + f"，多出{fmt_approx(-pot.gap)}"
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
    pots = [[POT_LABELS[p.key], fmt_yuan(p.current), fmt_range(p.target_low, p.target_high),
             fmt_approx(p.gap) if p.gap > 0 else ("—" if p.gap == 0 else f"多出{fmt_approx(-p.gap)}")]
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


@dataclass(frozen=True)
class CheckupAnswers:
    """What the client said (or confirmed) for a check-up; amounts in yuan, income and expenses per month,
    `holdings` by category, `insurance` by kind of cover ("life", "critical_illness", "medical")."""

    age: int
    monthly_income: float
    monthly_expenses: float
    dependants: int
    holdings: Mapping[str, float]
    insurance: Mapping[str, float]


@dataclass(frozen=True)
class CheckupReport:
    """A check-up saved as a proposal, with what chat or web show of it."""

    token: str
    score: int
    summary: list[str]
    categories: list[str]
    """Categories that would raise the score, for a product list once an assessment allows it."""
    level: str
    note: str
    """Why no products are listed (no or expired assessment), or how the level was chosen; may be empty."""
    products: list[dict[str, str]]
    chart_url: str


def checkup_report(session: Session, client_id: int | None, answers: CheckupAnswers, today: dt.date, *,
                   client_name: str | None = None, session_level: str | None = None,
                   request_key: str | None = None) -> CheckupReport:
    """Run a check-up for a known client (`client_id`) or a visitor (None), pick the risk level and products
    (never above that level), save the proposal and return what to show.

    Raises CalcInputError for impossible answers and LookupError for an unknown client.
    """
    facts = client_facts(session, client_id, today) if client_id else None
    choice = level_for_checkup(facts.risk if facts else None, session_level)
    inp = checkup_input(age=answers.age, monthly_income=answers.monthly_income,
                        monthly_expenses=answers.monthly_expenses, dependants=answers.dependants,
                        holdings=answers.holdings, insurance=answers.insurance, risk_level=choice.level, facts=facts)
    result = run_checkup(inp, house_view=house_allocation(session))
    categories = raise_with(result, n=3)
    products = suitable_products(session, choice.level, categories, 3) if choice.products_allowed else []
    subject = (mask_name(client_name) or "客户") if client_id else "访客"
    payload = checkup_payload(result, subject=subject, inp=inp, choice=choice, products=products)
    token = create_proposal(session, kind="checkup", payload=payload, client_id=client_id,
                            request_key=request_key).share_token
    return CheckupReport(token=token, score=result.score, summary=checkup_summary(result), categories=categories,
                         level=choice.level, note=choice.note, products=payload["products"],
                         chart_url=public_url(chart_path(token, "allocation")))

"""Wealth check-up (财富体检): three pots, findings, a target allocation by risk level and horizon, a score.

The three pots (三笔钱) follow GUIDE §3: 随时要用的钱 = 3-6 months of expenses in cash-like products;
家庭保障的钱 = cover about 10x annual income with premiums about 10% of income (双十原则); 财富增值的钱 = the
rest, allocated by risk level and horizon. The 标准普尔 quadrant is a reference picture only and is not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calc.assumptions import Assumptions, resolve
from calc.errors import CalcInputError
from calc.money import fmt_approx, fmt_pct, fmt_wan, fmt_yuan
from calc.risk import parse_level
from calc.validate import finite, in_range, non_negative

CATEGORY_CLASS: Mapping[str, str] = {
    "deposit": "cash", "cash_management": "cash", "wmp": "fixed", "bond_fund": "fixed",
    "mixed_fund": "mixed", "equity_fund": "equity", "index_fund": "equity", "qdii_fund": "overseas",
    "gold": "gold", "annuity_insurance": "fixed", "critical_illness_insurance": "insurance",
    "life_insurance": "insurance", "other": "other",
}
"""Holding category → asset class. "insurance" (cash value of protection policies) belongs to no pot; "other"
counts as growth money but has no target weight."""

ASSET_CLASSES = ("cash", "fixed", "mixed", "equity", "overseas", "gold")

CLASS_MIN_LEVEL: Mapping[str, int] = {"cash": 1, "fixed": 1, "mixed": 2, "gold": 3, "equity": 3, "overseas": 4}
"""Lowest client level (C*n*) for which an asset-class sleeve may appear in the target allocation. A sleeve
is filled only with products that pass `calc.risk.is_suitable` for the client; the level is the lowest at which
typical bank shelves hold suitable products of that class: cash/deposits R1, bonds and 理财 R1-R2, 偏债混合 and
固收+ R2 (so C2 may hold a mixed sleeve), broad index funds and gold products R3, QDII R4. Holdings in a class
above the client's level produce an "above_risk_level" finding (to be checked against the product's rating)."""

BASE_ALLOCATION: Mapping[int, Mapping[str, float]] = {
    1: {"cash": 0.30, "fixed": 0.70},
    2: {"cash": 0.15, "fixed": 0.65, "mixed": 0.20},
    3: {"cash": 0.10, "fixed": 0.45, "mixed": 0.25, "equity": 0.15, "gold": 0.05},
    4: {"cash": 0.05, "fixed": 0.30, "mixed": 0.25, "equity": 0.30, "overseas": 0.05, "gold": 0.05},
    5: {"cash": 0.05, "fixed": 0.15, "mixed": 0.20, "equity": 0.45, "overseas": 0.10, "gold": 0.05},
}
"""Strategic weights of growth money by risk level (house view; conservative, not a forecast)."""

FULL_HORIZON_YEARS = 5.0
"""Horizon at which the risky part (mixed/equity/overseas/gold) keeps its full weight; shorter horizons scale it
by horizon / 5 and move the rest to fixed income (money needed within a few years should not ride equity)."""

MAX_MONTHLY_INCOME = 10_000_000.0
"""Plausible cap on monthly income or expenses (1,000万元 a month); anything above is a typing error."""
MAX_AMOUNT = 1e11
"""Plausible cap on any single amount (1,000亿元)."""
INPUT_RANGES: Mapping[str, tuple[float, float]] = {
    "age": (18, 100), "monthly_income": (0, MAX_MONTHLY_INCOME), "monthly_expenses": (0, MAX_MONTHLY_INCOME),
    "dependants": (0, 20), "amount": (0, MAX_AMOUNT), "horizon_years": (0, 100),
}
"""The one statement of what a check-up accepts (inclusive bounds): `run_checkup` enforces it and the chat form
re-asks with it. "amount" bounds every holding, cover and premium; income and expenses are per month."""
PROTECTION_HIGH = 1.5
"""Cover above 1.5x the 双十 target (or premiums above 1.5x 10% of income) is flagged as more than needed."""
CONCENTRATION_HIGH, CONCENTRATION_MEDIUM = 0.8, 0.5
"""Share of growth money in the single largest product that is a high / medium finding."""
SEVERITY_PENALTY: Mapping[str, int] = {"high": 20, "medium": 10, "low": 4}
"""Check-up score = 100 minus these per finding, floored at 0."""
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
CLASS_ZH: Mapping[str, str] = {"cash": "现金类", "fixed": "固收类", "mixed": "混合类", "equity": "权益类",
                               "overseas": "海外", "gold": "黄金", "other": "其他"}
"""Asset class → the name a person reads (the one home of these labels)."""


@dataclass(frozen=True)
class CheckupInput:
    """A client's situation for a check-up; amounts in yuan, income and expenses per month.

    `holdings` maps a category of `CATEGORY_CLASS` to the amount held; covers are sums insured;
    `largest_position` is the amount in the single largest product; `annual_premiums` the premiums a year.
    Validated by `run_checkup`, not on construction.
    """

    age: int
    monthly_income: float
    monthly_expenses: float
    dependants: int = 0
    holdings: Mapping[str, float] = field(default_factory=dict)
    life_cover: float = 0.0
    critical_illness_cover: float = 0.0
    medical_cover: float = 0.0
    risk_level: str = "C3"
    horizon_years: float = 5.0
    largest_position: float | None = None
    annual_premiums: float | None = None


@dataclass(frozen=True)
class Pot:
    """One of the three pots: current amount, target range and gap (> 0 shortfall, < 0 excess, 0 in range)."""

    key: str
    name_zh: str
    current: float
    target_low: float
    target_high: float
    gap: float


@dataclass(frozen=True)
class Finding:
    """One check-up finding: a stable code, severity "high"|"medium"|"low" and a plain-Chinese sentence."""

    code: str
    severity: str
    text_zh: str


@dataclass(frozen=True)
class CheckupResult:
    """Everything a check-up page shows; `findings` are sorted high → low severity."""

    pots: tuple[Pot, Pot, Pot]
    findings: list[Finding]
    target_allocation: dict[str, float]
    current_allocation: dict[str, float]
    score: int
    reasons: list[str]
    assumptions: dict[str, Any]

    def top_findings(self, n: int = 3) -> list[Finding]:
        """The `n` most severe findings.

        >>> r = run_checkup(CheckupInput(30, 20000, 8000, holdings={"deposit": 5000}))
        >>> [f.code for f in r.top_findings(1)]
        ['liquidity_short']
        """
        return self.findings[:max(0, int(n))]

    def pot(self, key: str) -> Pot:
        """The pot named `key` ("liquidity", "protection" or "growth")."""
        return next(p for p in self.pots if p.key == key)


def pot_gap(current: float, low: float, high: float) -> float:
    """Gap of a pot: ``low - current`` below the range, ``high - current`` (negative) above it, else 0.

    >>> pot_gap(1, 3, 6), pot_gap(8, 3, 6), pot_gap(4, 3, 6)
    (2, -2, 0.0)
    """
    if current < low:
        return low - current
    if current > high:
        return high - current
    return 0.0


def target_allocation(risk_level: str | int, horizon_years: float,
                      house_view: Mapping[int, Mapping[str, float]] | None = None) -> dict[str, float]:
    """Target weights of growth money by asset class for a risk level and horizon.

    Rule: start from the house view's weights for the level (`house_view`, as `check_house_view` accepts it;
    ``BASE_ALLOCATION`` when None); scale the risky classes (mixed, equity, overseas, gold) by
    ``min(1, horizon_years / FULL_HORIZON_YEARS)`` and give what they lose to fixed; weights sum to 1 exactly
    (fixed takes the remainder). Classes below ``CLASS_MIN_LEVEL`` never appear.

    Examples
    --------
    >>> target_allocation("C1", 10)
    {'cash': 0.3, 'fixed': 0.7, 'mixed': 0.0, 'equity': 0.0, 'overseas': 0.0, 'gold': 0.0}
    >>> round(target_allocation("C4", 2.5)["equity"], 3)
    0.15
    """
    level = parse_level(risk_level, "C", "risk_level")
    horizon = _checked("horizon_years", horizon_years, "投资期限应在{low}到{high}年之间")
    scale = min(1.0, horizon / FULL_HORIZON_YEARS)
    base = (BASE_ALLOCATION if house_view is None else house_view)[level]
    weights = {c: (base.get(c, 0.0) * (scale if c not in ("cash", "fixed") else 1.0)) for c in ASSET_CLASSES}
    weights["fixed"] = 0.0
    weights["fixed"] = 1.0 - sum(weights.values())
    return weights


def _checked(field: str, value: float, zh: str, limits: str | None = None) -> float:
    """`value` within `INPUT_RANGES[limits or field]`, else CalcInputError; {low} / {high} in `zh` are the
    bounds as a person says them (1000万).

    >>> _checked("age", 35, "年龄应在{low}到{high}岁之间")
    35.0
    """
    low, high = INPUT_RANGES[limits or field]
    return in_range(field, value, low, high, zh.format(low=fmt_wan(low), high=fmt_wan(high)))


def _validate(inp: CheckupInput) -> tuple[int, dict[str, float]]:
    if not isinstance(inp, CheckupInput):
        raise CalcInputError("inp", "must be a CheckupInput", "体检信息不完整")
    _checked("age", inp.age, "年龄应在{low}到{high}岁之间")
    _checked("monthly_income", inp.monthly_income, "月收入应在{low}到{high}元之间")
    _checked("monthly_expenses", inp.monthly_expenses, "月支出应在{low}到{high}元之间")
    if isinstance(inp.dependants, bool) or finite("dependants", inp.dependants) != int(inp.dependants):
        raise CalcInputError("dependants", "must be a whole number", "需要抚养/赡养的人数应为整数")
    _checked("dependants", inp.dependants, "需要抚养/赡养的人数应在{low}到{high}之间")
    if not isinstance(inp.holdings, Mapping):
        raise CalcInputError("holdings", "must map category to amount", "持仓信息格式不对")
    holdings: dict[str, float] = {}
    for category, amount in inp.holdings.items():
        if category not in CATEGORY_CLASS:
            raise CalcInputError("holdings", f"unknown category {category!r}", f"无法识别的产品类别：{category}")
        value = non_negative("holdings", amount, f"{category}的金额不能为负数或无效")
        holdings[category] = _checked("holdings", value, f"{category}的金额不合理", "amount")
    for name, zh in (("life_cover", "寿险保额"), ("critical_illness_cover", "重疾保额"),
                     ("medical_cover", "医疗保额")):
        _checked(name, non_negative(name, getattr(inp, name), f"{zh}不能为负数"), f"{zh}不合理", "amount")
    level = parse_level(inp.risk_level, "C", "risk_level")
    _checked("horizon_years", inp.horizon_years, "投资期限应在{low}到{high}年之间")
    if inp.largest_position is not None:
        largest = non_negative("largest_position", inp.largest_position, "单只产品金额不能为负数")
        if largest > sum(holdings.values()) + 1e-6:
            raise CalcInputError("largest_position", "exceeds total holdings", "单只产品金额不能超过总持仓")
    if inp.annual_premiums is not None:
        _checked("annual_premiums", non_negative("annual_premiums", inp.annual_premiums, "年缴保费不能为负数"),
                 "年缴保费不合理", "amount")
    return level, holdings


def _pots(inp: CheckupInput, holdings: Mapping[str, float], a: Assumptions) -> tuple[Pot, Pot, Pot]:
    by_class: dict[str, float] = {}
    for category, amount in holdings.items():
        cls = CATEGORY_CLASS[category]
        by_class[cls] = by_class.get(cls, 0.0) + amount
    liquid = by_class.get("cash", 0.0)
    growth = sum(v for c, v in by_class.items() if c not in ("cash", "insurance"))
    low, high = a.emergency_months_low * inp.monthly_expenses, a.emergency_months_high * inp.monthly_expenses
    liquidity = Pot("liquidity", "随时要用的钱", liquid, low, high, pot_gap(liquid, low, high))
    cover_target = a.insurance_multiple * 12 * inp.monthly_income
    protection = Pot("protection", "家庭保障的钱", float(inp.life_cover), cover_target,
                     cover_target * PROTECTION_HIGH, pot_gap(inp.life_cover, cover_target, cover_target * PROTECTION_HIGH))
    total = liquid + growth
    g_low, g_high = max(0.0, total - high), max(0.0, total - low)
    return liquidity, protection, Pot("growth", "财富增值的钱", growth, g_low, g_high, pot_gap(growth, g_low, g_high))


def _cash_findings(inp: CheckupInput, liquidity: Pot, a: Assumptions) -> list[Finding]:
    """Spending above income, and emergency money short of (or far above) the range."""
    out: list[Finding] = []
    if inp.monthly_expenses > inp.monthly_income:
        out.append(Finding("spending_exceeds_income", "high",
                           f"每月支出{fmt_yuan(inp.monthly_expenses)}超过收入{fmt_yuan(inp.monthly_income)}，需要先控制开支。"))
    if inp.monthly_expenses > 0:
        months = liquidity.current / inp.monthly_expenses
        if months < a.emergency_months_low:
            out.append(Finding("liquidity_short", "high" if months < 1 else "medium",
                               f"应急资金只够{months:.1f}个月开支，建议保留{a.emergency_months_low}-"
                               f"{a.emergency_months_high}个月（至少{fmt_approx(liquidity.target_low)}）。"))
        elif months > 2 * a.emergency_months_high:
            out.append(Finding("liquidity_excess", "low",
                               f"活期和现金类资金够{months:.1f}个月开支，偏多，多出的部分可以考虑用于增值。"))
    return out


def _protection_findings(inp: CheckupInput, protection: Pot, a: Assumptions) -> list[Finding]:
    """Critical illness, medical and life cover against the references, and the premium burden."""
    out: list[Finding] = []
    annual_income = 12 * inp.monthly_income
    ci_target = a.critical_illness_years * annual_income
    if inp.critical_illness_cover <= 0:
        out.append(Finding("no_critical_illness", "high", "没有重疾保障，一场大病可能花掉多年积蓄。"))
    elif inp.critical_illness_cover < ci_target:
        out.append(Finding("critical_illness_low", "medium",
                           f"重疾保额{fmt_yuan(inp.critical_illness_cover)}，低于建议的{a.critical_illness_years:g}年收入"
                           f"（{fmt_approx(ci_target)}）。"))
    if inp.medical_cover <= 0:
        out.append(Finding("no_medical", "medium", "没有商业医疗保障（如百万医疗险），大额医疗费用需要自己承担。"))
    if protection.gap > 0:
        severity = ("high" if inp.life_cover <= 0 else "medium") if inp.dependants > 0 else "low"
        out.append(Finding("life_cover_low", severity,
                           f"寿险保额{fmt_yuan(inp.life_cover)}，低于年收入{a.insurance_multiple:g}倍的参考"
                           f"（{fmt_approx(protection.target_low)}）" + ("，家人的生活保障不足。" if inp.dependants else "。")))
    if inp.annual_premiums is not None and annual_income > 0:
        share = inp.annual_premiums / annual_income
        if share > a.premium_share * PROTECTION_HIGH:
            out.append(Finding("premiums_high", "medium",
                               f"每年保费占收入{fmt_pct(share, 0)}，超过约{fmt_pct(a.premium_share, 0)}的参考，保费负担偏重。"))
    return out


def _growth_findings(inp: CheckupInput, level: int, holdings: Mapping[str, float], growth: Pot,
                     target: Mapping[str, float], current: Mapping[str, float]) -> list[Finding]:
    """Concentration, a single asset class, classes above the client's level, and drift from the target."""
    out: list[Finding] = []
    if growth.current > 0 and inp.largest_position is not None:
        share = min(1.0, inp.largest_position / growth.current)
        if share >= CONCENTRATION_MEDIUM:
            out.append(Finding("concentration", "high" if share >= CONCENTRATION_HIGH else "medium",
                               f"财富增值的钱有{share * 100:.0f}%集中在一只产品，建议分散配置。"))
    growth_classes = [c for c, w in current.items() if w > 0 and c not in ("cash",)]
    if growth.current > 0 and len(growth_classes) == 1:
        out.append(Finding("single_class", "medium",
                           f"财富增值的钱只投在{CLASS_ZH[growth_classes[0]]}一类资产，分散不够。"))
    above = sorted({CATEGORY_CLASS[c] for c, v in holdings.items()
                    if v > 0 and CLASS_MIN_LEVEL.get(CATEGORY_CLASS[c], 1) > level})
    if above:
        out.append(Finding("above_risk_level", "high",
                           "持有的" + "、".join(CLASS_ZH[c] for c in above) + f"产品可能超出您C{level}的风险承受能力，"
                           "建议核对产品风险等级。"))
    drift = 0.5 * sum(abs(current.get(c, 0.0) - target.get(c, 0.0)) for c in set(current) | set(target))
    if sum(current.values()) > 0 and drift > 0.3:
        out.append(Finding("allocation_drift", "low",
                           f"当前配置与建议配置相差约{drift * 100:.0f}%，可以逐步调整。"))
    return out


def _findings(inp: CheckupInput, level: int, holdings: Mapping[str, float], pots: tuple[Pot, Pot, Pot],
              target: Mapping[str, float], current: Mapping[str, float], a: Assumptions) -> list[Finding]:
    liquidity, protection, growth = pots
    out = [*_cash_findings(inp, liquidity, a), *_protection_findings(inp, protection, a),
           *_growth_findings(inp, level, holdings, growth, target, current)]
    return sorted(out, key=lambda f: _SEVERITY_ORDER[f.severity])


def run_checkup(inp: CheckupInput, assumptions: Assumptions | None = None,
                house_view: Mapping[int, Mapping[str, float]] | None = None) -> CheckupResult:
    """Run a wealth check-up: three pots, findings, target allocation and a 0-100 score with reasons.

    Pots: liquidity = cash-class holdings vs ``[low, high] x monthly expenses`` (emergency months);
    protection = life cover vs ``insurance_multiple x annual income`` (up to 1.5x); growth = all other
    non-insurance holdings vs total minus the liquidity range. Liquidity above twice the high end is a low
    finding. Score = 100 - Σ SEVERITY_PENALTY over the findings, floored at 0; each reason names its deduction.
    `current_allocation` is the weight by asset class of all investable holdings (cash included). The target
    allocation starts from `house_view` (the managers' current one, see `check_house_view`) or the built-in
    ``BASE_ALLOCATION``.

    Raises
    ------
    CalcInputError
        Naming the field: age outside 18-100, income/expenses outside 0-1000万/month, NaN or negative
        amounts, unknown holding category or risk level, largest position above total holdings.

    Examples
    --------
    >>> r = run_checkup(CheckupInput(age=35, monthly_income=20000, monthly_expenses=8000, dependants=1,
    ...     holdings={"deposit": 9600, "equity_fund": 200000}, life_cover=0, risk_level="C3",
    ...     horizon_years=10, largest_position=160000))
    >>> r.pot("liquidity").gap, [f.text_zh for f in r.findings][0]
    (14400.0, '没有重疾保障，一场大病可能花掉多年积蓄。')
    >>> r.findings[1].text_zh
    '寿险保额0.00元，低于年收入10倍的参考（240万元），家人的生活保障不足。'
    >>> 0 <= r.score <= 100, round(sum(r.target_allocation.values()), 9)
    (True, 1.0)
    """
    a = resolve(assumptions)
    level, holdings = _validate(inp)
    pots = _pots(inp, holdings, a)
    target = target_allocation(level, inp.horizon_years, house_view)
    invest = {c: v for c, v in holdings.items() if CATEGORY_CLASS[c] != "insurance"}
    total = sum(invest.values())
    current: dict[str, float] = {}
    for category, amount in invest.items():
        cls = CATEGORY_CLASS[category]
        current[cls] = current.get(cls, 0.0) + (amount / total if total > 0 else 0.0)
    findings = _findings(inp, level, holdings, pots, target, current, a)
    penalty = sum(SEVERITY_PENALTY[f.severity] for f in findings)
    score = max(0, 100 - penalty)
    reasons = [f"{f.text_zh}（扣{SEVERITY_PENALTY[f.severity]}分）" for f in findings]
    if not reasons:
        reasons = ["三笔钱安排合理，保障齐全，没有发现明显问题。"]
    return CheckupResult(pots, findings, target, current, score, reasons, a.as_dict())

"""Wealth health score (财富健康分): activity, allocation and potential sub-scores, and what would raise it.

Weights (documented, see `WEIGHTS`): activity 30%, allocation health 45%, potential 25%. Each sub-score is
0-100 with one Chinese sentence; `raise_with` names the product categories that would raise it most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from calc.checkup import ASSET_CLASSES, MAX_MONTHLY_INCOME, CheckupResult
from calc.errors import CalcInputError
from calc.money import fmt_yuan
from calc.risk import parse_level
from calc.validate import in_range, non_negative

WEIGHTS: Mapping[str, float] = {"activity": 0.30, "allocation": 0.45, "potential": 0.25}
"""Total = 0.30 activity + 0.45 allocation + 0.25 potential: allocation health matters most to the client."""
SUB_NAMES: Mapping[str, str] = {"activity": "活跃度", "allocation": "配置健康", "potential": "增长潜力"}
"""The sub-scores as the client reads them (the chat answer and the generated help article)."""
ALLOCATION_PARTS: Mapping[str, float] = {"balance": 0.4, "diversification": 0.3, "suitability": 0.3}
"""Allocation health = 100 x (0.4 balance of the three pots + 0.3 diversification + 0.3 suitability)."""
POTENTIAL_PARTS: Mapping[str, float] = {"elsewhere": 0.7, "maturing": 0.3}
"""Potential = 100 x min(1, 0.7 share of assets likely held elsewhere + 0.3 maturing share in 90 days)."""
RECENCY_DAYS = 180
"""Recency of a contact, login or transaction scores ``max(0, 1 - days / 180)``: half a year without = 0."""
COUNT_TARGETS: Mapping[str, int] = {"contacts": 3, "logins": 6, "transactions": 2}
"""Counts in the last 90 days that earn full marks (monthly contact, a login every two weeks, two trades)."""
CHANNEL_WEIGHTS: Mapping[str, float] = {"contacts": 0.3, "logins": 0.3, "transactions": 0.4}
"""Weight of each channel inside the activity sub-score (half recency, half count)."""
ASSET_INCOME_MULTIPLE: tuple[tuple[int, float], ...] = ((30, 1.0), (45, 3.0), (60, 5.0), (101, 6.0))
"""Financial assets estimated as this many years of income by age band (<30, 30-44, 45-59, 60+): a rough
rule from household-survey saving patterns, used only to estimate assets held elsewhere."""
CLASS_CATEGORY: Mapping[str, str] = {"cash": "cash_management", "fixed": "bond_fund", "mixed": "mixed_fund",
                                     "equity": "index_fund", "overseas": "qdii_fund", "gold": "gold"}
"""The product category recommended to fill an under-weight asset class."""
FINDING_CATEGORY: Mapping[str, str] = {"liquidity_short": "cash_management",
                                       "no_critical_illness": "critical_illness_insurance",
                                       "critical_illness_low": "critical_illness_insurance",
                                       "life_cover_low": "life_insurance"}
_FINDING_GAIN = {"high": 3.0, "medium": 2.0, "low": 1.0}


@dataclass(frozen=True)
class SubScore:
    """One sub-score 0-100 with the sentence explaining it."""

    value: float
    reason_zh: str


@dataclass(frozen=True)
class HealthScore:
    """The total 0-100, the three sub-scores and the categories that would raise the score most."""

    total: float
    activity: SubScore
    allocation: SubScore
    potential: SubScore
    raise_with: list[str]


def _days(field: str, value: int | None) -> float | None:
    return None if value is None else in_range(field, value, 0, 36500, "天数应为0或正数")


def _count(field: str, value: int) -> float:
    return in_range(field, value, 0, 100000, "次数应为0或正整数")


def activity_score(days_since: Mapping[str, int | None], counts_90d: Mapping[str, int]) -> SubScore:
    """Activity 0-100: per channel (contacts, logins, transactions) ``0.5 * recency + 0.5 * min(1, count /
    target)``, recency ``max(0, 1 - days / RECENCY_DAYS)`` (None = never = 0), weighted by CHANNEL_WEIGHTS.

    Examples
    --------
    >>> activity_score({"contacts": 0, "logins": 0, "transactions": 0},
    ...                {"contacts": 3, "logins": 6, "transactions": 2}).value
    100.0
    >>> activity_score({"contacts": None, "logins": None, "transactions": None}, {}).value
    0.0
    """
    total = 0.0
    for channel, weight in CHANNEL_WEIGHTS.items():
        days = _days(f"days_since_{channel[:-1]}", days_since.get(channel))
        recency = 0.0 if days is None else max(0.0, 1 - days / RECENCY_DAYS)
        count = _count(f"{channel}_90d", counts_90d.get(channel, 0))
        total += weight * (0.5 * recency + 0.5 * min(1.0, count / COUNT_TARGETS[channel]))
    value = round(100 * total, 1)
    known = [d for d in days_since.values() if d is not None]
    last = f"最近一次互动在{min(known)}天前" if known else "还没有任何互动记录"
    reason = (f"{last}，近90天联系{counts_90d.get('contacts', 0)}次、登录{counts_90d.get('logins', 0)}次、"
              f"交易{counts_90d.get('transactions', 0)}次。")
    return SubScore(value, reason)


def allocation_score(checkup: CheckupResult, holding_risks: Sequence[int | str], client_level: int | str) -> SubScore:
    """Allocation health 0-100 = 100 x (0.4 balance + 0.3 diversification + 0.3 suitability).

    balance: mean over the three pots of ``1 - min(1, |gap| / max(target_high, 1))``; diversification:
    ``(1 - Σw²) / (1 - 1/6)`` over the current asset-class weights, capped at 1; suitability: the share of
    holdings whose product risk R*m* is within the client level C*n*.

    Examples
    --------
    >>> from calc.checkup import CheckupInput, run_checkup
    >>> r = run_checkup(CheckupInput(40, 20000, 5000, holdings={"deposit": 20000, "bond_fund": 50000}))
    >>> allocation_score(r, ["R1", "R2"], "C3").value  # balance 7/9, diversification 0.49, suitable 1
    75.8
    """
    if not isinstance(checkup, CheckupResult):
        raise CalcInputError("checkup", "must be a CheckupResult", "请先完成财富体检")
    level = parse_level(client_level, "C", "client_level")
    if isinstance(holding_risks, (str, bytes)) or not isinstance(holding_risks, Sequence):
        raise CalcInputError("holding_risks", "must be a list of R1-R5", "持仓风险等级格式不对")
    risks = [parse_level(r, "R", "holding_risks") for r in holding_risks]
    balance = sum(1 - min(1.0, abs(p.gap) / max(p.target_high, 1.0)) for p in checkup.pots) / 3
    weights = [w for c, w in checkup.current_allocation.items() if c in ASSET_CLASSES or c == "other"]
    diversification = min(1.0, (1 - sum(w * w for w in weights)) / (1 - 1 / 6)) if sum(weights) > 0 else 0.0
    suitable = sum(1 for r in risks if r <= level) / len(risks) if risks else 1.0
    parts = ALLOCATION_PARTS
    value = round(100 * (parts["balance"] * balance + parts["diversification"] * diversification
                         + parts["suitability"] * suitable), 1)
    parts = [f"三笔钱平衡度{balance * 100:.0f}%", f"分散度{diversification * 100:.0f}%"]
    parts.append("持仓风险都在您的承受范围内" if suitable == 1 else f"有{(1 - suitable) * 100:.0f}%的持仓超出您的风险等级")
    return SubScore(value, "，".join(parts) + "。")


def _asset_multiple(age: float) -> float:
    return next(multiple for limit, multiple in ASSET_INCOME_MULTIPLE if age < limit)


def potential_score(monthly_income: float, bank_assets: float, maturing_90d: float, age: int) -> SubScore:
    """Potential 0-100 = 100 x min(1, 0.7 x elsewhere share + 0.3 x min(1, maturing / bank assets)).

    Estimated assets = 12 x income x ASSET_INCOME_MULTIPLE[age band]; elsewhere = max(0, estimated - bank
    assets), its share = elsewhere / estimated (0 when nothing is estimated).

    Examples
    --------
    >>> potential_score(20000, 240000, 0, 35).value  # 720,000 estimated, 480,000 elsewhere
    46.7
    """
    income = in_range("monthly_income", monthly_income, 0, MAX_MONTHLY_INCOME, "月收入应在0到1000万元之间")
    assets = non_negative("bank_assets", bank_assets, "在本行的资产不能为负数")
    maturing = non_negative("maturing_90d", maturing_90d, "即将到期金额不能为负数")
    years = in_range("age", age, 18, 100, "年龄应在18到100岁之间")
    estimated = 12 * income * _asset_multiple(years)
    elsewhere = max(0.0, estimated - assets)
    share = elsewhere / estimated if estimated > 0 else 0.0
    maturing_share = min(1.0, maturing / assets) if assets > 0 else 0.0
    value = round(100 * min(1.0, POTENTIAL_PARTS["elsewhere"] * share + POTENTIAL_PARTS["maturing"] * maturing_share), 1)
    reason = f"按收入和年龄估算，您在其他机构可能还有约{fmt_yuan(elsewhere)}的资产"
    reason += f"，未来90天有{fmt_yuan(maturing)}产品到期。" if maturing > 0 else "。"
    return SubScore(value, reason)


def raise_with(checkup: CheckupResult, n: int = 3) -> list[str]:
    """Product categories that would raise the score most, best first, at most `n`.

    Rule: findings map to categories by FINDING_CATEGORY with gain 3/2/1 by severity; each under-weight asset
    class (target - current > 0.05) maps by CLASS_CATEGORY with gain 5 x deficit. Only classes with a target
    weight appear, so nothing above the client's level is suggested.

    Examples
    --------
    >>> from calc.checkup import CheckupInput, run_checkup
    >>> raise_with(run_checkup(CheckupInput(40, 20000, 5000, holdings={"deposit": 20000})))
    ['critical_illness_insurance', 'bond_fund', 'mixed_fund']
    """
    gains: dict[str, float] = {}
    for finding in checkup.findings:
        category = FINDING_CATEGORY.get(finding.code)
        if category:
            gains[category] = max(gains.get(category, 0.0), _FINDING_GAIN[finding.severity])
    for cls, target in checkup.target_allocation.items():
        deficit = target - checkup.current_allocation.get(cls, 0.0)
        if target > 0 and deficit > 0.05:
            category = CLASS_CATEGORY[cls]
            gains[category] = max(gains.get(category, 0.0), 5 * deficit)
    return [c for c, _ in sorted(gains.items(), key=lambda item: -item[1])][:max(0, n)]


def health_score(*, checkup: CheckupResult, client_level: int | str, holding_risks: Sequence[int | str],
                 days_since_contact: int | None, days_since_login: int | None,
                 days_since_transaction: int | None, contacts_90d: int = 0, logins_90d: int = 0,
                 transactions_90d: int = 0, monthly_income: float = 0.0, bank_assets: float = 0.0,
                 maturing_90d: float = 0.0, age: int = 40) -> HealthScore:
    """The wealth health score: ``total = Σ WEIGHTS[k] x sub-score k`` (0-100), rounded to 0.1.

    Raises CalcInputError naming the field for negative days or counts, bad levels, NaN or negative amounts.

    Examples
    --------
    >>> from calc.checkup import CheckupInput, run_checkup
    >>> r = run_checkup(CheckupInput(40, 20000, 5000, holdings={"deposit": 20000, "bond_fund": 50000}))
    >>> s = health_score(checkup=r, client_level="C3", holding_risks=["R1", "R2"], days_since_contact=10,
    ...                  days_since_login=3, days_since_transaction=40, contacts_90d=2, logins_90d=6,
    ...                  transactions_90d=1, monthly_income=20000, bank_assets=70000, age=40)
    >>> 0 <= s.total <= 100, s.raise_with[0]
    (True, 'critical_illness_insurance')
    """
    activity = activity_score(
        {"contacts": days_since_contact, "logins": days_since_login, "transactions": days_since_transaction},
        {"contacts": contacts_90d, "logins": logins_90d, "transactions": transactions_90d})
    allocation = allocation_score(checkup, holding_risks, client_level)
    potential = potential_score(monthly_income, bank_assets, maturing_90d, age)
    total = (WEIGHTS["activity"] * activity.value + WEIGHTS["allocation"] * allocation.value
             + WEIGHTS["potential"] * potential.value)
    return HealthScore(round(min(100.0, max(0.0, total)), 1), activity, allocation, potential, raise_with(checkup))


def levers(score: HealthScore) -> list[tuple[str, float]]:
    """Where the total can still rise, most first: (sub-score key, points of the total it could add), i.e.
    ``WEIGHTS[k] x (100 - sub-score k)`` rounded to 0.1; sub-scores already full are left out.

    Examples
    --------
    >>> s = HealthScore(70.0, SubScore(50.0, ""), SubScore(80.0, ""), SubScore(90.0, ""), [])
    >>> levers(s)
    [('activity', 15.0), ('allocation', 9.0), ('potential', 2.5)]
    """
    values = {"activity": score.activity.value, "allocation": score.allocation.value,
              "potential": score.potential.value}
    room = [(key, round(WEIGHTS[key] * (100 - value), 1)) for key, value in values.items() if value < 100]
    return sorted((item for item in room if item[1] > 0), key=lambda item: -item[1])

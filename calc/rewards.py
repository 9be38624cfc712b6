"""成长权益 rules: moving up an asset tier, improving the allocation score, returning after inactivity.

Thresholds are configurable through `RewardRules`; the defaults follow common retail-bank tiers
(金卡 5万, 财富 50万, 私人银行 600万 — 600万 is the usual private-banking entry level in China).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from calc.errors import CalcInputError
from calc.money import fmt_yuan
from calc.validate import in_range, non_negative

BASE_TIER_ZH = "普通客户"
"""Name of the tier below the first threshold."""


@dataclass(frozen=True)
class RewardRules:
    """Configurable 成长权益 thresholds.

    tiers: (threshold in yuan, Chinese name) strictly increasing; allocation_improvement: points of the
    allocation score gained that earn a reward; inactivity_months: months without activity after which a
    return earns the welcome-back reward.

    >>> RewardRules().tiers[-1]
    (6000000.0, '私人银行客户')
    """

    tiers: tuple[tuple[float, str], ...] = ((50_000.0, "金卡客户"), (500_000.0, "财富客户"),
                                            (6_000_000.0, "私人银行客户"))
    allocation_improvement: float = 5.0
    inactivity_months: int = 6

    def __post_init__(self) -> None:
        if not self.tiers:
            raise CalcInputError("tiers", "must not be empty", "至少需要一个客户等级")
        previous = 0.0
        for threshold, name in self.tiers:
            value = non_negative("tiers", threshold, "等级门槛不能为负数")
            if value <= previous or not isinstance(name, str) or not name:
                raise CalcInputError("tiers", "thresholds must increase and names be non-empty",
                                     "等级门槛应逐级递增且有名称")
            previous = value
        in_range("allocation_improvement", self.allocation_improvement, 0.1, 100, "配置提升门槛应在0.1到100分之间")
        if isinstance(self.inactivity_months, bool) or not isinstance(self.inactivity_months, int) \
                or not 1 <= self.inactivity_months <= 120:
            raise CalcInputError("inactivity_months", "must be an int 1-120", "不活跃月数应为1到120的整数")


@dataclass(frozen=True)
class Reward:
    """One reward earned: a stable code, a Chinese title and the reason."""

    code: str
    title_zh: str
    reason_zh: str


@dataclass(frozen=True)
class RewardsResult:
    """Rewards earned now, the current and next tier names and the amount still needed for the next tier."""

    earned: list[Reward]
    current_tier: str
    next_tier: str | None
    amount_to_next_tier: float


def tier_index(assets: float, rules: RewardRules) -> int:
    """Number of tier thresholds reached by `assets` (0 = 普通客户).

    >>> tier_index(49_999, RewardRules()), tier_index(50_000, RewardRules()), tier_index(7e6, RewardRules())
    (0, 1, 3)
    """
    return sum(1 for threshold, _ in rules.tiers if assets >= threshold)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (a month counts once the day of month is reached).

    >>> months_between(date(2026, 1, 31), date(2026, 7, 30)), months_between(date(2026, 1, 15), date(2026, 7, 15))
    (5, 6)
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def _check_dates(last_active: date, today: date) -> None:
    """Both are dates and the last activity is not after today; else CalcInputError naming the field."""
    for name, value in (("last_active", last_active), ("today", today)):
        if not isinstance(value, date):
            raise CalcInputError(name, "must be a date", "日期无效")
    if last_active > today:
        raise CalcInputError("last_active", "is after today", "上次活跃日期不能晚于今天")


def evaluate_rewards(previous_assets: float, current_assets: float, previous_allocation_score: float,
                     current_allocation_score: float, last_active: date, today: date,
                     rules: RewardRules | None = None) -> RewardsResult:
    """Evaluate 成长权益 between two check points.

    Rules: ``tier_up`` when the current assets reach a higher tier than the previous ones; ``allocation_up``
    when the allocation score rose by at least ``rules.allocation_improvement`` points; ``welcome_back`` when
    ``months_between(last_active, today) >= rules.inactivity_months``.

    Raises
    ------
    CalcInputError
        Naming the field: negative or NaN assets, scores outside 0-100, last_active after today.

    Examples
    --------
    >>> r = evaluate_rewards(40_000, 60_000, 50, 58, date(2026, 1, 1), date(2026, 8, 1))
    >>> [w.code for w in r.earned], r.current_tier, r.next_tier, r.amount_to_next_tier
    (['tier_up', 'allocation_up', 'welcome_back'], '金卡客户', '财富客户', 440000.0)
    """
    rules = RewardRules() if rules is None else rules
    if not isinstance(rules, RewardRules):
        raise CalcInputError("rules", "must be RewardRules", "权益规则无效")
    before = non_negative("previous_assets", previous_assets, "之前的资产不能为负数或无效")
    now = non_negative("current_assets", current_assets, "当前资产不能为负数或无效")
    old_score = in_range("previous_allocation_score", previous_allocation_score, 0, 100, "配置分应在0到100之间")
    new_score = in_range("current_allocation_score", current_allocation_score, 0, 100, "配置分应在0到100之间")
    _check_dates(last_active, today)
    names = [BASE_TIER_ZH] + [name for _, name in rules.tiers]
    old_tier, new_tier = tier_index(before, rules), tier_index(now, rules)
    earned: list[Reward] = []
    if new_tier > old_tier:
        earned.append(Reward("tier_up", f"升级为{names[new_tier]}",
                             f"您的资产从{fmt_yuan(before)}增长到{fmt_yuan(now)}，达到{names[new_tier]}门槛"
                             f"{fmt_yuan(rules.tiers[new_tier - 1][0])}。"))
    if new_score - old_score >= rules.allocation_improvement:
        earned.append(Reward("allocation_up", "配置优化奖励",
                             f"资产配置健康分从{old_score:g}分提升到{new_score:g}分。"))
    away = months_between(last_active, today)
    if away >= rules.inactivity_months:
        earned.append(Reward("welcome_back", "回归礼遇", f"距您上次活跃已有{away}个月，欢迎回来。"))
    if new_tier < len(rules.tiers):
        next_name: str | None = names[new_tier + 1]
        to_next = rules.tiers[new_tier][0] - now
    else:
        next_name, to_next = None, 0.0
    return RewardsResult(earned, names[new_tier], next_name, to_next)

"""What to talk about with whom: three talking points for one client, and which clients to call about their
allocation (largest three-pots gap) or their rewards (close to the next tier, or due a welcome back).

Talking points, priority: an expired or missing risk assessment (nothing can be sold before it), the nearest maturity (money
about to be free), an agreed next step, the largest three-pots gap, then the life stage's usual need. The list is
always three lines; generic openers fill it when the profile says little.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bank.access import visible_client_ids
from bank.clients import ClientProfile, phone_tail
from bank.directory import Identity
from bank.models import Client, Contact, Holding, Transaction
from calc.checkup import CheckupResult, run_checkup
from calc.money import fmt_wan, fmt_yuan
from calc.rewards import RewardRules, months_between
from services.checkups import POT_LABELS, checkup_input, client_facts, level_for_checkup
from services.house_view import house_allocation
from services.prospects import Prospect, ProspectList

POINTS = 3
QUIET_DAYS = 60
LIFE_STAGE_POINTS = {
    "单身青年": "年轻阶段，可聊聊基金定投和养成储蓄习惯",
    "新婚家庭": "新婚家庭，可聊聊家庭保障和购房、育儿的资金准备",
    "育儿家庭": "育儿家庭，可聊聊子女教育金的提前规划",
    "中年家庭": "中年家庭，可聊聊养老规划和个人养老金账户",
    "退休": "已退休，可聊聊稳定的养老现金流和防范养老诈骗",
}
POT_POINTS = {
    "liquidity": "随时要用的钱不足，建议先补足3–6个月支出的应急资金",
    "protection": "家庭保障有缺口，可以聊聊重疾险和寿险保额",
    "growth": "增值资金配置不足，可结合风险等级聊聊稳健增值的安排",
}
FILLERS = (
    "问候近况，了解近期是否有大额资金安排",
    "邀请客户参加近期的理财沙龙",
    "介绍本月在售的新发理财产品（注意风险等级匹配）",
)


def profile_checkup(session: Session, client_id: int, today: dt.date) -> CheckupResult:
    """The check-up (three pots) of a known client from bank/ data, at their usable risk level or a reference."""
    facts = client_facts(session, client_id, today)
    choice = level_for_checkup(facts.risk)
    return run_checkup(checkup_input(
        age=facts.age, monthly_income=facts.monthly_income, monthly_expenses=facts.monthly_expenses,
        dependants=facts.dependants, holdings=facts.holdings, risk_level=choice.level, facts=facts,
        insurance={"life": facts.life_cover, "critical_illness": facts.critical_illness_cover,
                   "medical": facts.medical_cover}), house_view=house_allocation(session))


def largest_gap(checkup: CheckupResult | None) -> str | None:
    """The key of the pot with the largest shortfall relative to its lower target, or None when none is short."""
    if checkup is None:
        return None
    short = [(p.gap / p.target_low if p.target_low else 0.0, p.key) for p in checkup.pots if p.gap > 0]
    return max(short)[1] if short else None


def talking_points(profile: ClientProfile, today: dt.date, checkup: CheckupResult | None = None) -> list[str]:
    """Exactly three short talking points for `profile` (see the module docstring for the order)."""
    points: list[str] = []
    if profile.risk_level is None:
        points.append("客户还没有做风险测评，先邀请完成测评，之后才能推荐产品")
    elif profile.risk_expired:
        points.append(f"风险测评（{profile.risk_level}，{profile.risk_assessed_on:%Y-%m-%d}）已过期，先邀请重新测评")
    if profile.upcoming_maturities:
        first = profile.upcoming_maturities[0]
        assert first.maturity_date is not None
        points.append(f"{first.product_name}将于{first.maturity_date:%m月%d日}到期（{fmt_yuan(float(first.market_value))}），"
                      f"提前沟通续作")
    pending = next((c for c in profile.last_contacts if c.next_step), None)
    if pending is not None:
        points.append(f"跟进上次{pending.kind_zh}约定：{pending.next_step}")
    gap = largest_gap(checkup)
    if gap is not None:
        points.append(POT_POINTS[gap])
    last = profile.last_contacts[0].happened_at.date() if profile.last_contacts else None
    if last is None or (today - last).days > QUIET_DAYS:
        points.append("已较长时间未联系，先问候近况" if last else "还没有联系记录，先做一次电访建立联系")
    if profile.life_stage in LIFE_STAGE_POINTS:
        points.append(LIFE_STAGE_POINTS[profile.life_stage])
    for filler in FILLERS:
        if len(points) >= POINTS:
            break
        points.append(filler)
    return points[:POINTS]


def _prospect(client: Client, total: Decimal, score: Decimal, reason: str, gap: Decimal) -> Prospect:
    zero = Decimal("0.00")
    return Prospect(client.id, client.name, phone_tail(client.phone), client.risk_level, total, zero, zero,
                    score, reason, gap)


def _visible(session: Session, viewer: Identity | None, among: Collection[int] | None = None
             ) -> list[tuple[Client, Decimal]]:
    """The viewer's clients (only those `among`, when given) with their total holdings."""
    totals = (select(Holding.client_id.label("cid"), func.sum(Holding.market_value).label("total"))
              .group_by(Holding.client_id).subquery())
    query = (select(Client, totals.c.total).outerjoin(totals, totals.c.cid == Client.id)
             .where(Client.id.in_(visible_client_ids(viewer))).order_by(Client.id))
    if among is not None:
        query = query.where(Client.id.in_(list(among)))
    rows = session.execute(query).all()
    return [(c, Decimal(t or 0).quantize(Decimal("0.01"))) for c, t in rows]


def prospects_by_allocation(session: Session, viewer: Identity | None, today: dt.date, limit: int = 10,
                            among: Collection[int] | None = None) -> ProspectList:
    """The viewer's clients (only those `among`, a segment's or tag's) with the largest three-pots shortfall
    (relative to the pot's lower target)."""
    ranked: list[tuple[float, Prospect]] = []
    for client, total in _visible(session, viewer, among):
        checkup = profile_checkup(session, client.id, today)
        key = largest_gap(checkup)
        if key is None:
            continue
        pot = checkup.pot(key)
        share = pot.gap / pot.target_low if pot.target_low else 0.0
        label = POT_LABELS[key].split("（")[0]
        reason = f"{label}缺口最大：现有{fmt_yuan(pot.current)}，至少需要{fmt_yuan(pot.target_low)}"
        ranked.append((share, _prospect(client, total, Decimal(str(round(share, 4))), reason,
                                        Decimal(str(round(pot.gap, 2))))))
    ranked.sort(key=lambda t: (-t[0], -t[1].gap, t[1].client_id))
    return ProspectList("三笔钱缺口", [p for _, p in ranked[:limit]])


def _last_active(session: Session, client: Client) -> dt.date:
    contact = session.scalar(select(func.max(Contact.happened_at)).where(Contact.client_id == client.id))
    trade = session.scalar(select(func.max(Transaction.trade_date)).where(Transaction.client_id == client.id))
    days = [d for d in (client.last_login_at.date() if client.last_login_at else None,
                        contact.date() if contact else None, trade) if d]
    return max(days) if days else client.created_at.date()


def prospects_by_rewards(session: Session, viewer: Identity | None, today: dt.date, limit: int = 10,
                         rules: RewardRules | None = None, near_share: float = 0.2,
                         among: Collection[int] | None = None) -> ProspectList:
    """Clients (only those `among`, when given) close to a 成长权益: within `near_share` of the next tier (by the
    amount missing), or inactive long enough that coming back earns the welcome-back reward. Nearest first."""
    rules = rules or RewardRules()
    ranked: list[tuple[float, Prospect]] = []
    for client, total in _visible(session, viewer, among):
        upper = next(((t, name) for t, name in rules.tiers if float(total) < t), None)
        if upper is not None:
            missing = upper[0] - float(total)
            if missing <= near_share * upper[0]:
                reason = f"总资产{fmt_wan(total)}，再增加{fmt_yuan(missing)}即可升级{upper[1]}，获得升级权益"
                ranked.append((missing / upper[0], _prospect(client, total, Decimal(str(round(missing, 2))), reason,
                                                              Decimal(str(round(missing, 2))))))
                continue
        idle = months_between(_last_active(session, client), today)
        if idle >= rules.inactivity_months:
            reason = f"已{idle}个月没有互动，回来即可领取回归礼遇"
            ranked.append((1.0 + 1 / idle, _prospect(client, total, Decimal(idle), reason, Decimal("0.00"))))
    ranked.sort(key=lambda t: (t[0], t[1].client_id))
    return ProspectList("成长权益", [p for _, p in ranked[:limit]])

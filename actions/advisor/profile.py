"""客户画像 in chat: a named client's profile in at most three short messages, and the client remembered."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advisor.common import CLIENT_SLOT, answer_unresolved, resolve_client
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.clients import ClientProfile, client_profile
from bank.contacts import FOLLOW_UP_DAYS, ContactOutcome, contact_outcomes
from bank.directory import Identity
from calc import clock
from calc.checkup import CheckupResult
from calc.money import fmt_pct, fmt_yuan
from services.checkups import pot_line
from services.talking_points import profile_checkup, talking_points
from services.wealth import client_health_score

log = logging.getLogger(__name__)
LAST_CONTACTS = 3


def header_lines(p: ClientProfile, score: float | None) -> list[str]:
    """Who the client is: masked phone, risk level and its date, life stage, occupation, health score."""
    if p.risk_level is None:
        risk = "风险等级：未测评"
    else:
        state = "已过期，需重新测评" if p.risk_expired else "有效"
        risk = f"风险等级：{p.risk_level}（{p.risk_assessed_on:%Y-%m-%d}测评，{state}）"
    lines = [f"【{p.name}】{p.gender}，{p.age}岁，手机{p.phone_masked or '未登记'}",
             f"职业：{p.occupation}；人生阶段：{p.life_stage}；家庭负担{p.dependants}人", risk]
    if score is not None:
        lines.append(f"财富健康分：{score:.0f}分")
    return lines


def asset_lines(p: ClientProfile, checkup: CheckupResult | None) -> list[str]:
    """Assets by category with shares, the three pots, and holdings maturing in the next 90 days."""
    lines = [f"本行资产合计{fmt_yuan(float(p.total_assets))}"]
    if p.total_assets > 0:
        shares = [f"{name}{fmt_pct(float(v / p.total_assets), 0)}" for name, v in list(p.assets_by_category.items())[:5]]
        lines.append("配置：" + "、".join(shares))
    if checkup is not None:
        lines.append("三笔钱：")
        lines += ["· " + pot_line(checkup, key) for key in ("liquidity", "protection", "growth")]
    if p.upcoming_maturities:
        lines.append("90天内到期：")
        lines += [f"· {h.maturity_date:%m-%d} {h.product_name} {fmt_yuan(float(h.market_value))}"
                  for h in p.upcoming_maturities[:4]]
    else:
        lines.append("90天内没有到期的产品。")
    return lines


def contact_lines(outcomes: list[ContactOutcome], points: list[str]) -> list[str]:
    """The last contacts (with what the client bought within FOLLOW_UP_DAYS after) and three talking points."""
    lines = ["最近联系："] if outcomes else ["最近联系：暂无记录"]
    for o in outcomes:
        line = f"· {o.happened_at:%m-%d} {o.kind_zh}：{o.note[:30]}"
        if o.next_step:
            line += f"（下一步：{o.next_step[:20]}）"
        if o.purchases:
            line += f"，{FOLLOW_UP_DAYS}天内购买{fmt_yuan(float(o.purchased))}"
        lines.append(line)
    lines.append("建议话题：")
    lines += [f"{n}. {point}" for n, point in enumerate(points, start=1)]
    return lines


def profile_messages(p: ClientProfile, checkup: CheckupResult | None, score: float | None,
                     outcomes: list[ContactOutcome], day: dt.date) -> list[str]:
    """The profile as three short messages."""
    return ["\n".join(header_lines(p, score)), "\n".join(asset_lines(p, checkup)),
            "\n".join(contact_lines(outcomes, talking_points(p, day, checkup)))]


class ActionClientProfile(StaffAction):
    """客户画像 of a client the sender may see; remembers the client in `adv_client_id`."""

    feature = "client_profile"

    def name(self) -> str:
        return "action_adv_client_profile"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        day = clock.today()
        with self.session() as session:
            found = resolve_client(session, viewer, tracker, day)
            if found.status != "found" or found.client_id is None:
                answer_unresolved(dispatcher, tracker, found, viewer)
                record_usage(tracker, "client_profile", outcome=found.status)
                return []
            profile = client_profile(session, viewer, found.client_id, day)
            checkup = _optional(lambda: profile_checkup(session, profile.id, day))
            health = _optional(lambda: client_health_score(session, profile.id, day))
            outcomes = contact_outcomes(session, viewer, client_id=profile.id, limit=LAST_CONTACTS)
        for message in profile_messages(profile, checkup, health.total if health else None, outcomes, day):
            dispatcher.utter_message(text=message)
        record_usage(tracker, "client_profile", outcome="found")
        return [SlotSet(CLIENT_SLOT, profile.id)]


def _optional(compute: Any) -> Any:
    """The value of `compute()`, or None when the calculation refuses the client's data (logged)."""
    try:
        return compute()
    except (ValueError, LookupError, ArithmeticError) as error:
        log.warning("profile figure skipped: %s", type(error).__name__)
        return None

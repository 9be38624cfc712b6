"""潜力客户 in chat: prospects for a model portfolio or product, by assets, by allocation or by rewards.

The ids of the list just shown go to the slot `adv_prospect_ids` (push_portfolio reads it for "推给他们"), and a
named model portfolio to `adv_portfolio_id`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.forms import latest_text
from actions.staff import StaffAction
from actions.usage import record_usage
from bank.directory import Identity
from bank.models import ModelPortfolio
from calc import clock
from services.client_groups import narrowing_group
from services.portfolios import portfolio_named_in, portfolio_names
from services.prospects import (
    ProspectList,
    product_named_in,
    prospects_by_assets,
    prospects_for_portfolio,
    prospects_for_product,
)
from services.talking_points import prospects_by_allocation, prospects_by_rewards

LIMIT = 8
MODES = (
    ("rewards", re.compile(r"权益|奖励|升级|回归|礼遇|积分")),
    ("allocation", re.compile(r"配置|三笔钱|缺口|失衡|不合理|保障不足")),
    ("assets", re.compile(r"资产|升档|门槛|档位|提升|接近|差一点|达标")),
)
# The ranking behind each mode, and what the reply calls it.
RANKINGS: dict[str, tuple[Callable[..., ProspectList], str]] = {
    "assets": (prospects_by_assets, "资产接近升档"),
    "allocation": (prospects_by_allocation, "三笔钱缺口最大"),
    "rewards": (prospects_by_rewards, "快拿到成长权益"),
}


def mode_of(text: str) -> str | None:
    """Which non-product ranking a message asks for, or None.

    >>> mode_of("哪些客户快到升级权益了"), mode_of("找找三笔钱缺口大的客户"), mode_of("谁的资产快到50万了")
    ('rewards', 'allocation', 'assets')
    >>> mode_of("找找适合稳健组合的客户") is None
    True
    """
    for mode, pattern in MODES:
        if pattern.search(text):
            return mode
    return None


def prospect_lines(found: ProspectList) -> list[str]:
    """The ranked names with their one-line reason, and how many were left out for suitability."""
    lines = [f"{n}. {p.name}（{p.phone_tail}）：{p.reason}" for n, p in enumerate(found.items, start=1)]
    skipped = []
    if found.skipped_unsuitable:
        skipped.append(f"{found.skipped_unsuitable}位风险等级不匹配")
    if found.skipped_unassessed:
        skipped.append(f"{found.skipped_unassessed}位未测评或测评已过期")
    if skipped:
        lines.append(f"（另有{'，'.join(skipped)}，未列入）")
    return lines


def _ranked(session: Session, viewer: Identity, text: str, day: dt.date
            ) -> tuple[ProspectList, str, ModelPortfolio | None] | None:
    """(prospects, what they were ranked for, the model portfolio named) for what `text` asks; None when it
    names nothing to rank for."""
    group = narrowing_group(session, viewer, text, day)  # "我的金卡客户里…", "高潜客户中…": only those clients
    among = group.client_ids if group is not None else None
    within = f"{group.label}中" if group is not None else ""
    portfolio = portfolio_named_in(session, text)
    if portfolio is not None:
        found = prospects_for_portfolio(session, viewer, portfolio.id, day, limit=LIMIT, among=among)
        return found, f"{within}适合“{portfolio.name}”", portfolio
    product = product_named_in(session, text)
    if product is not None:
        found = prospects_for_product(session, viewer, product.code, day, limit=LIMIT, among=among)
        return found, f"{within}适合“{product.name}”（{product.risk_level}）", None
    mode = mode_of(text)
    if mode is None:
        return None
    rank, target = RANKINGS[mode]
    return rank(session, viewer, day, limit=LIMIT, among=among), f"{within}{target}", None


class ActionFindProspects(StaffAction):
    """Rank the sender's clients for what the message names; remember the list for a push."""

    feature = "prospects"

    def name(self) -> str:
        return "action_adv_find_prospects"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        with self.session() as session:
            ranked = _ranked(session, viewer, latest_text(tracker), clock.today())
            if ranked is None:
                names = "、".join(n for n, _ in portfolio_names(session))
        if ranked is None:
            dispatcher.utter_message(response="utter_adv_ask_prospect_target", portfolios=names)
            record_usage(tracker, "prospects", outcome="asked")
            return []
        found, target, portfolio = ranked
        events: list[EventType] = [SlotSet("adv_portfolio_id", portfolio.id)] if portfolio is not None else []
        record_usage(tracker, "prospects", target=found.target, count=len(found.items))
        if not found.items:
            dispatcher.utter_message(response="utter_adv_no_prospects", target=target)
            return [*events, SlotSet("adv_prospect_ids", [])]
        dispatcher.utter_message(text=f"{target}的客户，共{len(found.items)}位：\n" + "\n".join(prospect_lines(found)))
        if portfolio is not None:
            dispatcher.utter_message(response="utter_adv_prospects_push_hint", portfolio=portfolio.name)
        return [*events, SlotSet("adv_prospect_ids", [p.client_id for p in found.items])]

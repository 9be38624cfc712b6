"""潜力客户 in chat: prospects for a model portfolio or product, by assets, by allocation or by rewards.

The ids of the list just shown go to the slot `adv_prospect_ids` (push_portfolio reads it for "推给他们"), and a
named model portfolio to `adv_portfolio_id`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.advisor.common import staff_sender, today
from actions.forms import latest_text
from actions.usage import record_usage
from bank.db import session_scope
from bank.models import Product
from services.prospects import (
    ProspectList,
    prospects_by_assets,
    prospects_for_portfolio,
    prospects_for_product,
)
from services.pushes import portfolio_named_in, portfolio_names
from services.talking_points import prospects_by_allocation, prospects_by_rewards

log = logging.getLogger(__name__)
LIMIT = 8
MODES = (
    ("rewards", re.compile(r"权益|奖励|升级|回归|礼遇|积分")),
    ("allocation", re.compile(r"配置|三笔钱|缺口|失衡|不合理|保障不足")),
    ("assets", re.compile(r"资产|升档|门槛|档位|提升|接近|差一点|达标")),
)


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


def product_named_in(session: Session, text: str) -> Product | None:
    """An on-sale product whose code or full name occurs in `text` (longest name first)."""
    products = session.scalars(select(Product).where(Product.on_sale.is_(True))).all()
    upper = text.upper()
    for product in sorted(products, key=lambda p: -len(p.name)):
        if product.name in text or product.code.upper() in upper:
            return product
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


class ActionFindProspects(Action):
    """Rank the sender's clients for what the message names; remember the list for a push."""

    def name(self) -> str:
        return "action_adv_find_prospects"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        viewer = staff_sender(dispatcher, tracker)
        if viewer is None:
            record_usage(tracker, "prospects", outcome="refused")
            return []
        text = latest_text(tracker)
        day = today()
        events: list[EventType] = []
        try:
            with session_scope() as session:
                portfolio = portfolio_named_in(session, text)
                product = None if portfolio else product_named_in(session, text)
                mode = mode_of(text)
                if portfolio is not None:
                    found = prospects_for_portfolio(session, viewer, portfolio.id, day, limit=LIMIT)
                    events.append(SlotSet("adv_portfolio_id", portfolio.id))
                    target = f"适合“{portfolio.name}”"
                elif product is not None:
                    found = prospects_for_product(session, viewer, product.code, day, limit=LIMIT)
                    target = f"适合“{product.name}”（{product.risk_level}）"
                elif mode == "assets":
                    found, target = prospects_by_assets(session, viewer, day, limit=LIMIT), "资产接近升档"
                elif mode == "allocation":
                    found, target = prospects_by_allocation(session, viewer, day, limit=LIMIT), "三笔钱缺口最大"
                elif mode == "rewards":
                    found, target = prospects_by_rewards(session, viewer, day, limit=LIMIT), "快拿到成长权益"
                else:
                    names = "、".join(n for n, _ in portfolio_names(session))
                    dispatcher.utter_message(response="utter_adv_ask_prospect_target", portfolios=names)
                    record_usage(tracker, "prospects", outcome="asked")
                    return []
        except SQLAlchemyError as error:
            log.error("prospects failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, "prospects", target=found.target, count=len(found.items))
        if not found.items:
            dispatcher.utter_message(response="utter_adv_no_prospects", target=target)
            return [*events, SlotSet("adv_prospect_ids", [])]
        dispatcher.utter_message(text=f"{target}的客户，共{len(found.items)}位：\n" + "\n".join(prospect_lines(found)))
        if portfolio is not None:
            dispatcher.utter_message(response="utter_adv_prospects_push_hint", portfolio=portfolio.name)
        return [*events, SlotSet("adv_prospect_ids", [p.client_id for p in found.items])]

"""A client's own orders in chat: where an order stands ("我买的组合到账了吗"), and cancelling an insurance order
within its 犹豫期 ("撤销刚买的重疾险": preview, then 确认). Rules: services/client_orders.py."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.client.wealth import _ClientOnlyAction, client_or_refuse, client_sender
from actions.forms import latest_text
from actions.identity import sender
from actions.staff import replied_to
from actions.usage import record_usage
from bank.db import session_scope
from calc import clock
from calc.money import fmt_yuan
from services.client_orders import cancel_policy, policy_to_cancel, recent_orders
from services.settlement import NotCancellable

log = logging.getLogger(__name__)
FEATURE_ZH = "保单撤销"


def _reset() -> list[EventType]:
    return [SlotSet("cancel_order_id", None), SlotSet("cancel_awaiting", False)]


class ActionOrderStatus(_ClientOnlyAction):
    """The client's orders of the last 90 days: processing, confirmed (units and NAV), failed or cancelled."""

    feature, feature_zh = "order_status", "订单查询"

    def name(self) -> str:
        return "action_order_status"

    def answer(self, session: Any, client_id: int, tracker: Tracker, day: dt.date) -> list[str] | None:
        orders = recent_orders(session, client_id, day)
        if not orders:
            return ["近90天您没有通过助手下的订单。确认理财经理推荐的产品后，订单会显示在这里。"]
        return ["您近期的订单：", *(order.text(day) for order in orders)]


class ActionPolicyCancelPreview(Action):
    """Find the insurance order the client wants to cancel and ask to confirm."""

    def name(self) -> str:
        return "action_policy_cancel_preview"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ok, identity = sender(dispatcher, tracker)
        if not ok:
            return []
        client_id = client_or_refuse(dispatcher, identity, FEATURE_ZH)
        if client_id is None:
            return _reset()
        try:
            with session_scope() as session:
                order = policy_to_cancel(session, client_id, latest_text(tracker), clock.now())
        except NotCancellable as reason:
            dispatcher.utter_message(response="utter_policy_cancel_refused", reason=str(reason))
            return _reset()
        except SQLAlchemyError as error:
            log.error("policy cancel preview failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return _reset()
        refund = "保单尚未生效，" if order.status == "pending" else f"保费{fmt_yuan(order.amount)}将全额退还，"
        dispatcher.utter_message(response="utter_policy_cancel_ask_confirm", product=order.product, refund=refund)
        return [SlotSet("cancel_order_id", float(order.order_id)), SlotSet("cancel_awaiting", True)]


class ActionPolicyCancel(Action):
    """On 确认 right after the preview: cancel it (the client and the advisor are told through the outbox)."""

    def name(self) -> str:
        return "action_policy_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order_id = tracker.get_slot("cancel_order_id")
        if order_id is None or not replied_to(tracker, "action_policy_cancel_preview"):
            dispatcher.utter_message(response="utter_policy_cancel_stale")
            return _reset()
        client_id = client_sender(dispatcher, tracker, FEATURE_ZH)
        if client_id is None:
            return _reset()
        try:
            with session_scope() as session:
                done = cancel_policy(session, client_id, int(float(order_id)), clock.now())
        except NotCancellable as reason:
            dispatcher.utter_message(response="utter_policy_cancel_refused", reason=str(reason))
            return _reset()
        except (SQLAlchemyError, ValueError) as error:
            log.error("policy cancel failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return _reset()
        record_usage(tracker, "policy_cancel", refund=str(done.refund))
        money = f"保费{fmt_yuan(done.refund)}将原路退还。" if done.refund else "保单尚未生效，不会扣费。"
        dispatcher.utter_message(response="utter_policy_cancelled", product=done.product_name, money=money)
        return _reset()


class ActionPolicyCancelDiscard(Action):
    """"不撤了" after the preview."""

    def name(self) -> str:
        return "action_policy_cancel_discard"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_policy_cancel_kept")
        return _reset()

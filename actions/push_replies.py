"""The client's side of a portfolio push in chat: confirm or decline with one click (card buttons), or list what
is waiting. The advisor's side is actions/push.py; rules live in services/pushes.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.advisor.after_sale import ActionPushReview
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.models import STAFF_ROLES
from calc import clock
from calc.money import fmt_yuan
from services.links import public_url
from services.push_decisions import ConfirmResult, confirm_push, decline_push, tell_advisor
from services.pushes import (
    DEFAULT_TTL_DAYS,
    PushNotFound,
    PushView,
    pending_pushes,
    push_path,
    with_sign_in_links,
)

log = logging.getLogger(__name__)
FEATURE = "portfolio_push"


def button_payload(intent: str, task_id: str) -> str:
    """The payload a card button sends back.

    >>> button_payload("confirm_push", "t1")
    '/confirm_push{"push_task": "t1"}'
    """
    return f"/{intent}{json.dumps({'push_task': task_id}, ensure_ascii=False)}"


def order_lines(result: ConfirmResult) -> str:
    """The orders of a confirmation, one line each, and the total."""
    lines = [f"· {o.name} {fmt_yuan(o.amount)}" for o in result.orders]
    total = sum((o.amount for o in result.orders), Decimal(0))
    note = [result.cooling_off] if result.cooling_off else []  # insurance: its 犹豫期
    return "\n".join([*lines, f"合计{len(result.orders)}笔，{fmt_yuan(total)}", *note])


def _task_id(tracker: Tracker) -> str | None:
    value = next(tracker.get_latest_entity_values("push_task"), None)
    return str(value).strip() if value else None


def _is_client(dispatcher: CollectingDispatcher, who: Identity | None) -> bool:
    """Whether `who` is a client; anyone else is told that confirming pushes is for clients."""
    if who is None or who.client_id is None:
        dispatcher.utter_message(response="utter_push_clients_only")
        return False
    return True


def _client(dispatcher: CollectingDispatcher, tracker: Tracker) -> Identity | None:
    ok, who = sender(dispatcher, tracker)
    return who if ok and _is_client(dispatcher, who) else None


def _decide(dispatcher: CollectingDispatcher, tracker: Tracker,
            decide: Callable[[Session, str, Identity, dt.datetime], ConfirmResult]
            ) -> ConfirmResult | None:
    """Apply `decide` (confirm_push or decline_push) to the push the client pressed, or to their only pending one.

    None when there is nothing to decide (the client has been told: several or no pending pushes are listed, an
    unknown task or a database error is explained).
    """
    who = _client(dispatcher, tracker)
    if who is None:
        return None
    task_id = _task_id(tracker)
    now = clock.now()
    try:
        with session_scope() as session:
            if task_id is None:
                views = pending_pushes(session, who.client_id or 0, now)
                if len(views) != 1:
                    _offer_pending(dispatcher, with_sign_in_links(session, views, now))
                    return None
                task_id = views[0].task_id
            return decide(session, task_id, who, now)
    except PushNotFound:
        dispatcher.utter_message(response="utter_push_not_found")
    except SQLAlchemyError as error:
        log.error("push %s failed: %s", decide.__name__, type(error).__name__)
        dispatcher.utter_message(response="utter_service_unavailable")
    return None


def _offer_pending(dispatcher: CollectingDispatcher, views: list[PushView]) -> None:
    """List pending pushes, each with its 确认 / 暂不 buttons and the client's one-time sign-in link to its page."""
    if not views:
        dispatcher.utter_message(response="utter_push_none_pending")
        return
    dispatcher.utter_message(response="utter_push_pending_head", count=len(views))
    for view in views[:5]:
        dispatcher.utter_message(
            text=(f"{view.portfolio_name}（{view.risk_level}），{fmt_yuan(view.amount)}，理财经理{view.advisor_name}推荐，"
                  f"{view.expires_at:%m月%d日}前有效。{view.cooling_off}详情：{view.link or public_url(push_path(view.task_id))}"),
            buttons=[{"title": "确认", "payload": button_payload("confirm_push", view.task_id)},
                     {"title": "暂不", "payload": button_payload("decline_push", view.task_id)}])


class ActionConfirmPush(Action):
    """The client presses 确认: the orders are created exactly once and the advisor is told."""

    def name(self) -> str:
        return "action_confirm_push"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        result = _decide(dispatcher, tracker, confirm_push)
        if result is None:
            return []
        record_usage(tracker, FEATURE, step="confirm", status=result.status, created=result.created)
        tell_advisor(result)
        if result.status == "confirmed":
            response = "utter_push_confirmed" if result.created else "utter_push_already_confirmed"
            dispatcher.utter_message(response=response, portfolio=result.portfolio_name, orders=order_lines(result))
        elif result.status == "refused":
            dispatcher.utter_message(response="utter_push_refused", reason=result.reason)
        elif result.status == "declined":
            dispatcher.utter_message(response="utter_push_was_declined", portfolio=result.portfolio_name)
        else:
            dispatcher.utter_message(response="utter_push_expired", portfolio=result.portfolio_name,
                                     valid_days=DEFAULT_TTL_DAYS)
        return []


class ActionDeclinePush(Action):
    """The client presses 暂不: nothing is bought; the advisor is told once."""

    def name(self) -> str:
        return "action_decline_push"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        result = _decide(dispatcher, tracker, decline_push)
        if result is None:
            return []
        record_usage(tracker, FEATURE, step="decline", status=result.status)
        tell_advisor(result)
        if result.status == "declined":
            dispatcher.utter_message(response="utter_push_declined", portfolio=result.portfolio_name)
        elif result.status == "confirmed":
            dispatcher.utter_message(response="utter_push_already_confirmed", portfolio=result.portfolio_name,
                                     orders=order_lines(result))
        else:
            dispatcher.utter_message(response="utter_push_expired", portfolio=result.portfolio_name,
                                     valid_days=DEFAULT_TTL_DAYS)
        return []


class ActionMyPushes(Action):
    """"我有哪些待确认的组合": the client's pending pushes with their buttons. Staff asking for "my pushes"
    ("我推的组合客户确认了吗") mean the pushes they sent: they get the after-sale review of those."""

    def name(self) -> str:
        return "action_my_pushes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ok, who = sender(dispatcher, tracker)
        if ok and who is not None and who.role in STAFF_ROLES:
            return await ActionPushReview().run(dispatcher, tracker, domain)
        if not ok or not _is_client(dispatcher, who):
            return []
        assert who is not None
        now = clock.now()
        try:
            with session_scope() as session:
                views = with_sign_in_links(session, pending_pushes(session, who.client_id or 0, now), now)
        except SQLAlchemyError as error:
            log.error("pending pushes failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, FEATURE, step="list", pending=len(views))
        _offer_pending(dispatcher, views)
        return []

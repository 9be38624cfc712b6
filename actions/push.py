"""Portfolio push in chat: the advisor previews and sends a model portfolio to clients; clients confirm or decline
with one click (card buttons), and list what is waiting for them. Rules live in bank/pushes.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.forms import latest_text
from actions.identity import sender
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.models import STAFF_ROLES
from bank.proposals import public_url
from calc.money import fmt_yuan
from lexicon.numbers import parse_amount
from services.notify import notify
from services.prospects import UnknownProduct
from services.pushes import (
    ConfirmResult,
    PushNotFound,
    PushPreview,
    PushView,
    Skipped,
    confirm_push,
    decline_push,
    find_portfolio,
    names_in_text,
    pending_pushes,
    portfolio_named_in,
    portfolio_names,
    preview_push,
    push_path,
    push_portfolio,
    resolve_names,
    tell_advisor,
    view_push,
)

log = logging.getLogger(__name__)
FEATURE = "portfolio_push"
LIST_LIMIT = 8
PUSH_SLOTS = ("push_portfolio_id", "push_client_ids", "push_amount")


def button_payload(intent: str, task_id: str) -> str:
    """The payload a card button sends back.

    >>> button_payload("confirm_push", "t1")
    '/confirm_push{"push_task": "t1"}'
    """
    return f"/{intent}{json.dumps({'push_task': task_id}, ensure_ascii=False)}"


def name_list(names: list[str], limit: int = LIST_LIMIT) -> str:
    """Names joined with 、, cut after `limit` with a count.

    >>> name_list(["张伟", "王芳"]), name_list(["甲", "乙", "丙"], limit=2)
    ('张伟、王芳', '甲、乙等3位')
    """
    shown = "、".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}等{len(names)}位"


def skipped_lines(skipped: list[Skipped], limit: int = LIST_LIMIT) -> list[str]:
    """One line per skipped client, with the reason.

    >>> skipped_lines([Skipped(1, "王芳", "未做风险测评")])
    ['· 王芳：未做风险测评']
    """
    lines = [f"· {s.name}：{s.reason}" for s in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"……另有{len(skipped) - limit}位未列出")
    return lines


def preview_text(preview: PushPreview) -> str:
    """The advisor's preview: the portfolio and amount, who will get it and who is skipped and why."""
    lines = [f"{preview.portfolio_name}（最高风险{preview.risk_level}），每位客户{fmt_yuan(preview.amount)}："]
    if preview.suitable:
        names = [f"{r.name}（{r.risk_level}）" for r in preview.suitable]
        lines.append(f"可推送{len(preview.suitable)}位：{name_list(names)}")
    if preview.skipped:
        lines.append(f"不推送{len(preview.skipped)}位：")
        lines += skipped_lines(preview.skipped)
    return "\n".join(lines)


def client_card(view: PushView, advisor_name: str) -> tuple[str, dict[str, Any]]:
    """The text and card a client receives: 确认 / 暂不 buttons and the link to the push page."""
    text = (f"您的理财经理{advisor_name}为您推荐“{view.portfolio_name}”（风险等级{view.risk_level}），"
            f"金额{fmt_yuan(view.amount)}，{view.expires_at:%m月%d日}前有效。点“确认”即按组合下单，点“暂不”不会购买。")
    card = {"title": f"组合推荐：{view.portfolio_name}", "url": public_url(push_path(view.task_id)),
            "button_text": "查看组合", "task_id": view.task_id,
            "buttons": [["确认", button_payload("confirm_push", view.task_id)],
                        ["暂不", button_payload("decline_push", view.task_id)]]}
    return text, card


def order_lines(result: ConfirmResult) -> str:
    """The orders of a confirmation, one line each, and the total."""
    lines = [f"· {o.name} {fmt_yuan(o.amount)}" for o in result.orders]
    total = sum((o.amount for o in result.orders), Decimal(0))
    return "\n".join([*lines, f"合计{len(result.orders)}笔，{fmt_yuan(total)}"])



def _prospect_ids(tracker: Tracker) -> list[int]:
    value = tracker.get_slot("adv_prospect_ids") or []
    ids = []
    for item in value if isinstance(value, list) else [value]:
        try:
            ids.append(int(item))
        except (TypeError, ValueError):
            continue
    return ids


def replied_to(tracker: Tracker, action: str) -> bool:
    """Whether the user's latest message answers `action` (the last action before it, listening aside)."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in reversed(events[:max(last_user, 0)]):
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return bool(event.get("name") == action)
    return False


def _choices() -> str:
    """The model portfolios to choose from, for a re-ask ("稳健组合（R2）、…")."""
    try:
        with session_scope() as session:
            return "、".join(f"{name}（{risk}）" for name, risk in portfolio_names(session))
    except SQLAlchemyError:
        return "稳健组合、平衡组合、进取组合"


class ActionPushPreview(Action):
    """"把稳健组合推给张伟、王芳" / "推给他们": check each client and ask the advisor to confirm."""

    def name(self) -> str:
        return "action_push_preview"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ok, who = sender(dispatcher, tracker)
        if not ok:
            return []
        if who is None or who.role not in STAFF_ROLES:
            dispatcher.utter_message(response="utter_push_staff_only")
            return []
        text = latest_text(tracker)
        now = dt.datetime.now()
        try:
            with session_scope() as session:
                named = portfolio_named_in(session, text)
                portfolio_id = named.id if named else tracker.get_slot("adv_portfolio_id")
                if portfolio_id is not None:
                    portfolio_id = find_portfolio(session, str(int(float(portfolio_id)))).id
                else:
                    dispatcher.utter_message(response="utter_push_ask_portfolio", portfolios=_choices())
                    return []
                names = names_in_text(session, who, text)
                names += [p for p in tracker.get_latest_entity_values("person")
                          if p and not any(n.startswith(p) for n in names)]
                client_ids, unknown = resolve_names(session, who, names, now.date())
                if not names:  # "推给他们": the prospect list just shown
                    client_ids = _prospect_ids(tracker)
                if not client_ids and not unknown:
                    dispatcher.utter_message(response="utter_push_ask_clients")
                    return []
                amount = parse_amount(re.sub(r"尾号\s*\d{4}", "", text))
                preview = preview_push(session, who, portfolio_id, client_ids, amount, now)
        except (UnknownProduct, ValueError):  # a stale or odd portfolio id in the slot
            dispatcher.utter_message(response="utter_push_ask_portfolio", portfolios=_choices())
            return []
        except SQLAlchemyError as error:
            log.error("push preview failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        if amount is not None and amount < preview.minimum:
            dispatcher.utter_message(response="utter_push_amount_too_small", portfolio=preview.portfolio_name,
                                     minimum=fmt_yuan(preview.minimum))
            return []
        preview = PushPreview(preview.portfolio_id, preview.portfolio_name, preview.risk_level, preview.minimum,
                              preview.amount, preview.suitable, [*unknown, *preview.skipped])
        dispatcher.utter_message(text=preview_text(preview))
        record_usage(tracker, FEATURE, step="preview", portfolio=preview.portfolio_name,
                     suitable=len(preview.suitable), skipped=len(preview.skipped))
        if not preview.suitable:
            dispatcher.utter_message(response="utter_push_nobody_suitable")
            return [SlotSet("push_awaiting", False), *(SlotSet(s, None) for s in PUSH_SLOTS)]
        dispatcher.utter_message(response="utter_push_ask_confirm", count=len(preview.suitable))
        return [SlotSet("push_portfolio_id", preview.portfolio_id),
                SlotSet("push_client_ids", [r.client_id for r in preview.suitable]),
                SlotSet("push_amount", str(preview.amount)), SlotSet("push_awaiting", True)]


class ActionPushSend(Action):
    """After "确认": create the pushes (checked again), send each client their card, report to the advisor."""

    def name(self) -> str:
        return "action_push_send"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet("push_awaiting", False), *(SlotSet(s, None) for s in PUSH_SLOTS)]
        portfolio_id = tracker.get_slot("push_portfolio_id")
        client_ids = tracker.get_slot("push_client_ids") or []
        if portfolio_id is None or not client_ids or not replied_to(tracker, "action_push_preview"):
            dispatcher.utter_message(response="utter_push_stale")
            return reset
        ok, who = sender(dispatcher, tracker)
        if not ok:
            return []
        if who is None or who.role not in STAFF_ROLES:
            dispatcher.utter_message(response="utter_push_staff_only")
            return reset
        try:
            amount = Decimal(str(tracker.get_slot("push_amount"))) if tracker.get_slot("push_amount") else None
        except InvalidOperation:
            amount = None
        now = dt.datetime.now()
        try:
            with session_scope() as session:
                result = push_portfolio(session, who, int(float(portfolio_id)), [int(c) for c in client_ids],
                                        amount, now)
                cards = []
                for sent in result.sent:
                    cards.append((sent.external_userid, *client_card(view_push(session, sent.task_id, now), who.name)))
        except (UnknownProduct, ValueError, PermissionError):
            dispatcher.utter_message(response="utter_push_stale")
            return reset
        except SQLAlchemyError as error:
            log.error("push failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        for recipient, text, card in cards:
            if recipient:
                notify(recipient, text, card=card, kind="portfolio_push")
        record_usage(tracker, FEATURE, step="send", portfolio=result.portfolio_name, sent=len(result.sent),
                     skipped=len(result.skipped_with_reasons))
        lines = [f"已把{result.portfolio_name}推送给{len(result.sent)}位客户：{name_list([s.client_name for s in result.sent])}。"
                 if result.sent else "这次没有推送给任何客户。"]
        if result.skipped_with_reasons:
            lines.append(f"未推送{len(result.skipped_with_reasons)}位：")
            lines += skipped_lines(result.skipped_with_reasons)
        lines.append("客户确认后我会马上通知您，推送7天内有效。")
        dispatcher.utter_message(text="\n".join(lines))
        return reset


class ActionPushAbort(Action):
    """After "不用了" to a preview: nothing is sent."""

    def name(self) -> str:
        return "action_push_abort"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_push_aborted")
        return [SlotSet("push_awaiting", False), *(SlotSet(s, None) for s in PUSH_SLOTS)]


def _task_id(tracker: Tracker) -> str | None:
    value = next(tracker.get_latest_entity_values("push_task"), None)
    return str(value).strip() if value else None


def _client(dispatcher: CollectingDispatcher, tracker: Tracker) -> Identity | None:
    ok, who = sender(dispatcher, tracker)
    if not ok:
        return None
    if who is None or who.client_id is None:
        dispatcher.utter_message(response="utter_push_clients_only")
        return None
    return who


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
    now = dt.datetime.now()
    try:
        with session_scope() as session:
            if task_id is None:
                views = pending_pushes(session, who.client_id or 0, now)
                if len(views) != 1:
                    _offer_pending(dispatcher, views)
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
    """List pending pushes, each with its 确认 / 暂不 buttons."""
    if not views:
        dispatcher.utter_message(response="utter_push_none_pending")
        return
    dispatcher.utter_message(response="utter_push_pending_head", count=len(views))
    for view in views[:5]:
        dispatcher.utter_message(
            text=(f"{view.portfolio_name}（{view.risk_level}），{fmt_yuan(view.amount)}，理财经理{view.advisor_name}推荐，"
                  f"{view.expires_at:%m月%d日}前有效。详情：{public_url(push_path(view.task_id))}"),
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
            dispatcher.utter_message(response="utter_push_expired", portfolio=result.portfolio_name)
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
            dispatcher.utter_message(response="utter_push_expired", portfolio=result.portfolio_name)
        return []


class ActionMyPushes(Action):
    """"我有哪些待确认的组合": the client's pending pushes with their buttons."""

    def name(self) -> str:
        return "action_my_pushes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        who = _client(dispatcher, tracker)
        if who is None:
            return []
        try:
            with session_scope() as session:
                views = pending_pushes(session, who.client_id or 0, dt.datetime.now())
        except SQLAlchemyError as error:
            log.error("pending pushes failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        record_usage(tracker, FEATURE, step="list", pending=len(views))
        _offer_pending(dispatcher, views)
        return []

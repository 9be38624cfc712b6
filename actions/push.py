"""Portfolio push in chat, the advisor's side: preview a model portfolio for named clients, send it (each client
gets a card with 确认 / 暂不 buttons, answered in actions/push_replies.py) or drop it. Rules: services/pushes.py."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.advisor.common import int_list
from actions.forms import latest_text
from actions.push_replies import button_payload
from actions.requests import request_key
from actions.staff import LIST_LIMIT, StaffAction, name_list, replied_to
from actions.usage import record_usage
from bank.db import session_scope
from bank.directory import Identity
from bank.notifications import add_notification
from calc import clock
from calc.money import fmt_yuan
from services.links import public_url
from services.portfolios import portfolio_choices
from services.prospects import UnknownProduct
from services.push_products import kind_title
from services.pushes import (
    DEFAULT_TTL_DAYS,
    PushDraft,
    PushPreview,
    PushResult,
    PushView,
    Skipped,
    draft_push,
    push_path,
    send_push,
)

FEATURE = "portfolio_push"
PUSH_SLOTS = ("push_portfolio_id", "push_client_ids", "push_amount")


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
    """The advisor's preview: the portfolio or product and amount (the premium for insurance, with its 犹豫期), who
    will get it and who is skipped and why."""
    risk = f"最高风险{preview.risk_level}" if preview.kind != "single" else f"风险等级{preview.risk_level}"
    lines = [f"{preview.portfolio_name}（{risk}），每位客户{fmt_yuan(preview.amount)}："]
    if preview.cooling_off:
        lines.append(preview.cooling_off)
    if preview.suitable:
        names = [f"{r.name}（{r.risk_level}）" for r in preview.suitable]
        lines.append(f"可推送{len(preview.suitable)}位：{name_list(names)}")
    if preview.skipped:
        lines.append(f"不推送{len(preview.skipped)}位：")
        lines += skipped_lines(preview.skipped)
    return "\n".join(lines)


def client_card(view: PushView, advisor_name: str) -> tuple[str, dict[str, Any]]:
    """The text and card a client receives: 确认 / 暂不 buttons and the link to the push page (their one-time
    sign-in link to it when the view carries one, services.sign_in)."""
    how = "按组合下单" if view.kind != "single" else "下单"
    text = (f"您的理财经理{advisor_name}为您推荐“{view.portfolio_name}”（风险等级{view.risk_level}），"
            f"金额{fmt_yuan(view.amount)}，{view.expires_at:%m月%d日}前有效。{view.cooling_off}"
            f"点“确认”即{how}，点“暂不”不会购买。")
    card = {"title": f"{kind_title(view.kind, view.cooling_off)}：{view.portfolio_name}",
            "url": view.link or public_url(push_path(view.task_id)),
            "button_text": "查看组合" if view.kind != "single" else "查看详情", "task_id": view.task_id,
            "buttons": [["确认", button_payload("confirm_push", view.task_id)],
                        ["暂不", button_payload("decline_push", view.task_id)]]}
    return text, card


def _choices() -> str:
    """The model portfolios to choose from, for a re-ask ("稳健组合（R2）、…")."""
    try:
        with session_scope() as session:
            return portfolio_choices(session)
    except SQLAlchemyError:
        return "稳健组合、平衡组合、进取组合"


def _reset() -> list[EventType]:
    return [SlotSet("push_awaiting", False), *(SlotSet(s, None) for s in PUSH_SLOTS)]


class _PushAction(StaffAction):
    """An advisor's push step: staff only, told with utter_push_staff_only."""

    def refuse(self, dispatcher: CollectingDispatcher, who: Identity | None) -> None:
        dispatcher.utter_message(response="utter_push_staff_only")

    def refused(self, tracker: Tracker, directory_down: bool) -> list[EventType]:
        return []


class ActionPushPreview(_PushAction):
    """"把稳健组合推给张伟、王芳" / "推给他们": check each client and ask the advisor to confirm."""

    def name(self) -> str:
        return "action_push_preview"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        try:
            with self.session() as session:
                draft = draft_push(session, viewer, latest_text(tracker), clock.now(),
                                   remembered_portfolio=tracker.get_slot("adv_portfolio_id"),
                                   entity_names=list(tracker.get_latest_entity_values("person")),
                                   shown_client_ids=int_list(tracker.get_slot("adv_prospect_ids")))
        except (UnknownProduct, ValueError, ArithmeticError):  # a stale or odd portfolio id in the slot
            draft = PushDraft("portfolio")
        if draft.missing == "portfolio":
            dispatcher.utter_message(response="utter_push_ask_portfolio", portfolios=_choices())
            return []
        if draft.missing == "shares":
            dispatcher.utter_message(text=draft.problem)
            return []
        if draft.missing == "readable_amount":
            dispatcher.utter_message(response="utter_push_amount_unreadable")
            return []
        if draft.missing == "clients" or draft.preview is None:
            dispatcher.utter_message(response="utter_push_ask_clients")
            return []
        preview = draft.preview
        if draft.missing == "amount":
            dispatcher.utter_message(response="utter_push_amount_too_small", portfolio=preview.portfolio_name,
                                     minimum=fmt_yuan(preview.minimum))
            return []
        dispatcher.utter_message(text=preview_text(preview))
        record_usage(tracker, FEATURE, step="preview", portfolio=preview.portfolio_name,
                     suitable=len(preview.suitable), skipped=len(preview.skipped))
        if not preview.suitable:
            dispatcher.utter_message(response="utter_push_nobody_suitable")
            return _reset()
        dispatcher.utter_message(response="utter_push_ask_confirm", count=len(preview.suitable))
        return [SlotSet("push_portfolio_id", preview.portfolio_id),
                SlotSet("push_client_ids", [r.client_id for r in preview.suitable]),
                SlotSet("push_amount", str(preview.amount)), SlotSet("push_awaiting", True)]


class ActionPushSend(_PushAction):
    """After "确认": create the pushes (checked again), send each client their card, report to the advisor."""

    def name(self) -> str:
        return "action_push_send"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if (tracker.get_slot("push_portfolio_id") is None or not tracker.get_slot("push_client_ids")
                or not replied_to(tracker, "action_push_preview")):
            dispatcher.utter_message(response="utter_push_stale")
            return _reset()
        return await super().run(dispatcher, tracker, domain)

    def refused(self, tracker: Tracker, directory_down: bool) -> list[EventType]:
        return [] if directory_down else _reset()

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        try:
            amount = Decimal(str(tracker.get_slot("push_amount"))) if tracker.get_slot("push_amount") else None
        except InvalidOperation:
            amount = None
        if amount is not None and not amount.is_finite():
            amount = None
        try:
            with self.session() as session:
                result, views = send_push(session, viewer, int(float(tracker.get_slot("push_portfolio_id"))),
                                          int_list(tracker.get_slot("push_client_ids")), amount, clock.now(),
                                          request_key=request_key(tracker, self.name()))
                if not result.replayed:  # the cards are stored with the pushes, or neither is
                    for sent, view in zip(result.sent, views, strict=True):
                        if sent.external_userid:
                            text, card = client_card(view, viewer.name)
                            add_notification(session, sent.external_userid, text, card=card, kind="portfolio_push")
        except (UnknownProduct, ValueError, ArithmeticError, PermissionError):
            dispatcher.utter_message(response="utter_push_stale")
            return _reset()
        record_usage(tracker, FEATURE, step="send", portfolio=result.portfolio_name, sent=len(result.sent),
                     skipped=len(result.skipped_with_reasons))
        dispatcher.utter_message(text=sent_text(result))
        return _reset()


def sent_text(result: PushResult) -> str:
    """The advisor's report: who got the push, who did not and why, and how long the push lives."""
    lines = [f"已把{result.portfolio_name}推送给{len(result.sent)}位客户：{name_list([s.client_name for s in result.sent])}。"
             if result.sent else "这次没有推送给任何客户。"]
    if result.skipped_with_reasons:
        lines.append(f"未推送{len(result.skipped_with_reasons)}位：")
        lines += skipped_lines(result.skipped_with_reasons)
    lines.append(f"客户确认后我会马上通知您，推送{DEFAULT_TTL_DAYS}天内有效。")
    return "\n".join(lines)


class ActionPushAbort(Action):
    """After "不用了" to a preview: nothing is sent."""

    def name(self) -> str:
        return "action_push_abort"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_push_aborted")
        return _reset()

"""Managers correct a house model portfolio in chat ("把稳健组合的债券比例调到60%"): a preview with every
product's weight before and after, then 确认 saves it as the next version, 不用了 drops it. Rules live in
services/portfolio_edits.py."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import latest_text
from actions.staff import StaffAction, replied_to
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from calc.money import fmt_share
from services.house_view import ManagersOnly
from services.links import public_url
from services.portfolio_edits import EditPreview, EditProblem, preview_from_text, save_edit

MAX_LINES = 8


def _reset() -> list[EventType]:
    return [SlotSet("portfolio_edit", None), SlotSet("edit_awaiting", False)]


def preview_text(preview: EditPreview) -> str:
    """The preview in a few lines: what changes, the risk level, and what a save means."""
    lines = [f"{preview.name}（第{preview.version}版）调整预览：{preview.summary}"]
    for line in preview.lines[:MAX_LINES]:
        change = ("新增" if line.before == 0 else "移出" if line.after == 0 else "")
        lines.append(f"· {line.name}（{line.risk_level}）{fmt_share(line.before)}→{fmt_share(line.after)}{change}")
    risk = (f"风险等级{preview.risk_before}不变" if preview.risk_after == preview.risk_before
            else f"风险等级由{preview.risk_before}变为{preview.risk_after}，只能推给{preview.risk_after.replace('R', 'C')}及以上客户")
    lines.append(f"合计100%，{risk}。")
    return "\n".join(lines)


class _EditAction(StaffAction):
    """A manager-only step; an advisor is told who can change the house portfolios."""

    feature = "portfolio_edit"
    roles = frozenset({"manager"})

    def refuse(self, dispatcher: CollectingDispatcher, who: Identity | None) -> None:
        dispatcher.utter_message(response="utter_portfolio_edit_refused" if who is not None
                                 else "utter_adv_unknown_sender")

    def refused(self, tracker: Tracker, directory_down: bool) -> list[EventType]:
        return [*super().refused(tracker, directory_down), *_reset()]

    def failed(self, tracker: Tracker) -> list[EventType]:
        return _reset()


class ActionPortfolioEditPreview(_EditAction):
    """Read the change from the message and show the preview; ask to confirm."""

    def name(self) -> str:
        return "action_portfolio_edit_preview"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        try:
            with self.session() as session:
                preview = preview_from_text(session, viewer, latest_text(tracker))
        except (EditProblem, ManagersOnly) as problem:
            dispatcher.utter_message(response="utter_portfolio_edit_problem", problem=str(problem))
            return _reset()
        dispatcher.utter_message(text=preview_text(preview))
        dispatcher.utter_message(response="utter_portfolio_edit_ask_confirm", version=preview.version + 1)
        return [SlotSet("portfolio_edit", json.dumps(preview.as_dict(), ensure_ascii=False)),
                SlotSet("edit_awaiting", True)]


class ActionPortfolioEditSave(_EditAction):
    """On 确认 right after the preview: save the next version."""

    def name(self) -> str:
        return "action_portfolio_edit_save"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        if not tracker.get_slot("portfolio_edit") or not replied_to(tracker, "action_portfolio_edit_preview"):
            dispatcher.utter_message(response="utter_portfolio_edit_stale")
            return _reset()
        return await super().run(dispatcher, tracker, domain)

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        try:
            preview = EditPreview.from_dict(json.loads(str(tracker.get_slot("portfolio_edit"))))
        except (ValueError, KeyError, TypeError):
            dispatcher.utter_message(response="utter_portfolio_edit_stale")
            return _reset()
        try:
            with self.session() as session:
                saved = save_edit(session, viewer, preview, clock.now())
                name, version, portfolio_id = saved.name, saved.version, saved.id
        except (EditProblem, ManagersOnly) as problem:
            dispatcher.utter_message(response="utter_portfolio_edit_problem", problem=str(problem))
            return _reset()
        record_usage(tracker, self.feature, portfolio=name, version=version)
        dispatcher.utter_message(response="utter_portfolio_edit_saved", portfolio=name, version=version)
        dispatcher.utter_message(json_message={
            "type": "card", "title": f"{name}（第{version}版）", "description": preview.summary,
            "url": public_url(f"/manage/portfolios/{portfolio_id}"), "button_text": "查看版本记录"})
        return _reset()


class ActionPortfolioEditDiscard(Action):
    """"不用了" after the preview."""

    def name(self) -> str:
        return "action_portfolio_edit_discard"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        dispatcher.utter_message(response="utter_portfolio_edit_discarded")
        return _reset()

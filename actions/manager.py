"""Manager journeys in chat: broadcast a meeting note or experience post to the team (preview, confirm, send,
index in knowledge/), and the team's operations figures. Rules live in services/broadcasts.py and services/dashboard.py."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import NOT_FORM_INPUT, latest_intent, latest_text, requested_slot
from actions.staff import StaffAction, name_list, replied_to
from actions.usage import record_usage
from bank.directory import Identity
from calc import clock
from calc.money import fmt_yuan
from lexicon.periods import period_so_far
from services.broadcasts import (
    KIND_NAMES,
    KIND_WORDS,
    NotAllowed,
    PublishedNote,
    broadcast_text,
    check_body,
    ingest_note,
    note_body,
    note_kind,
    note_title,
    publish_note,
    team_members,
)
from services.dashboard import NotAManager, team_dashboard
from services.links import public_url
from services.notify import notify
from services.reminders import conversion_line
from wecom.messages import split_text

log = logging.getLogger(__name__)
NOTE_SLOTS = ("note_body", "note_kind")
PREVIEW_CHARS = 300
# A long pasted text is the note even when NLU took it for a question.
LONG_NOTE_CHARS = 30
PART_BYTES = 2000


def _reset() -> list[EventType]:
    return [SlotSet("note_awaiting", False), *(SlotSet(s, None) for s in NOTE_SLOTS)]


class _ManagerAction(StaffAction):
    """A manager-only step of a broadcast: an advisor is told to ask their manager; the note slots are reset after
    a refusal or a failure."""

    roles = frozenset({"manager"})

    def refuse(self, dispatcher: CollectingDispatcher, who: Identity | None) -> None:
        dispatcher.utter_message(response="utter_note_advisor_refused" if who is not None and who.role == "advisor"
                                 else "utter_note_not_allowed")

    def refused(self, tracker: Tracker, directory_down: bool) -> list[EventType]:
        return _reset()

    def failed(self, tracker: Tracker) -> list[EventType]:
        return _reset()


class ValidateNoteForm(FormValidationAction):
    """Fill `note_body` from the activating message ("发布晨会纪要：…") or the next message (a pasted or
    forwarded note), and check its length."""

    def name(self) -> str:
        return "validate_note_form"

    async def extract_note_body(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        intent = latest_intent(tracker)
        if requested_slot(tracker) == "note_body":
            if intent in ("cancel", "human_handoff") or (intent in NOT_FORM_INPUT and len(text) < LONG_NOTE_CHARS):
                return {}
            return {"note_body": text}
        if intent == "broadcast_note":  # a new request: its own note, never one left from an earlier preview
            return {"note_body": note_body(text) or None}
        return {}

    def validate_note_body(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if slot_value is None:  # a request without the note: the form asks for it
            return {"note_body": None}
        try:
            return {"note_body": check_body(str(slot_value))}
        except ValueError as error:
            dispatcher.utter_message(response="utter_note_body_invalid", reason=str(error))
            return {"note_body": None}


def kind_asked(tracker: Tracker, body: str) -> str:
    """The kind of note: named in the message that started the note form ("发夕会纪要"), else read from the note."""
    events = list(tracker.events)
    started = max((i for i, e in enumerate(events) if e.get("event") == "active_loop" and e.get("name") == "note_form"),
                   default=len(events))
    request = next((str(e.get("text") or "") for e in reversed(events[:started]) if e.get("event") == "user"), "")
    if any(word in request for words in KIND_WORDS.values() for word in words):
        return note_kind(request)
    return note_kind(body)


class ActionNotePreview(_ManagerAction):
    """Show the note, its title and who will receive it, and ask the manager to confirm."""

    def name(self) -> str:
        return "action_note_preview"

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        body = str(tracker.get_slot("note_body") or "")
        kind = kind_asked(tracker, body)
        try:
            body = check_body(body)
            with self.session() as session:
                members = team_members(session, viewer)
        except ValueError as error:
            dispatcher.utter_message(response="utter_note_body_invalid", reason=str(error))
            return _reset()
        shown = body if len(body) <= PREVIEW_CHARS else body[:PREVIEW_CHARS] + "…"
        title = note_title(kind, body, clock.now())
        dispatcher.utter_message(text=f"预览【{title}】\n{shown}")
        dispatcher.utter_message(response="utter_note_ask_confirm", count=len(members),
                                 names=name_list([m.name for m in members]))
        return [SlotSet("note_kind", kind), SlotSet("note_awaiting", True)]


class ActionNotePublish(_ManagerAction):
    """On confirmation: store the note, index it for questions, send it to every team member."""

    def name(self) -> str:
        return "action_note_publish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not tracker.get_slot("note_body") or not replied_to(tracker, "action_note_preview"):
            dispatcher.utter_message(response="utter_note_stale")
            return _reset()
        return await super().run(dispatcher, tracker, domain)

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        kind = str(tracker.get_slot("note_kind") or "morning")
        try:
            with self.session() as session:
                note = publish_note(session, viewer, str(tracker.get_slot("note_body")),
                                    kind if kind in KIND_NAMES else "morning", clock.now())
        except (ValueError, NotAllowed) as error:
            dispatcher.utter_message(response="utter_note_body_invalid", reason=str(error))
            return _reset()
        indexed = _index(note)
        for member in note.recipients:
            for part in split_text(broadcast_text(note, viewer.name), max_bytes=PART_BYTES):
                notify(member.userid, part, kind="broadcast")
        record_usage(tracker, "broadcast", kind=note.kind, recipients=len(note.recipients), indexed=indexed)
        dispatcher.utter_message(response="utter_note_published" if indexed else "utter_note_published_unindexed",
                                 title=note.title, count=len(note.recipients))
        return _reset()


def _index(note: PublishedNote) -> bool:
    """Index the note in knowledge/; a failure is logged and reported, the broadcast still goes out."""
    try:
        ingest_note(note)
    except Exception as error:  # the index is a separate store: its failure must not lose the broadcast
        log.error("note %s not indexed: %s", note.doc_id, type(error).__name__)
        return False
    return True


class ActionNoteDiscard(Action):
    """"不发了" after the preview."""

    def name(self) -> str:
        return "action_note_discard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_note_discarded")
        return _reset()


def dashboard_lines(figures: dict[str, Any], label: str) -> list[str]:
    """The team figures as a few short lines for a phone."""
    period = figures["period"]
    contacts = figures["contacts"]
    by_kind = "、".join(f"{k['name']}{k['count']}" for k in contacts["by_kind"])
    top = "、".join(f"{f['name']}{f['count']}" for f in figures["feature_usage"][:3]) or "暂无"
    lines = [
        f"{figures['team']['name']}团队{label}（{period['start'][5:]}至{period['end'][5:]}）：",
        f"· 活跃用户{figures['active_users']}人；常用功能：{top}",
        f"· 建议书{figures['proposals']['total']}份；联系客户{contacts['total']}次（{by_kind}）",
        f"· 组合推送{figures['pushes']['total']}次，客户确认{figures['pushes']['confirmed']}次；"
        f"订单{figures['orders']['total']}笔，{fmt_yuan(float(Decimal(figures['orders']['amount'])))}",
        f"· 销售额{fmt_yuan(float(Decimal(figures['sales_amount'])))}",
    ]
    if "conversion" in figures:
        lines.append(conversion_line(figures["conversion"]))
    advisors = [a for a in figures["advisors"] if a["role"] == "advisor"]
    if advisors:
        busiest = max(advisors, key=lambda a: (a["contacts"], -a["staff_id"]))
        best = max(advisors, key=lambda a: (Decimal(a["sales_amount"]), -a["staff_id"]))
        lines.append(f"· 联系最多：{busiest['name']}（{busiest['contacts']}次）；"
                     f"销售最高：{best['name']}（{fmt_yuan(float(Decimal(best['sales_amount'])))}）")
    return lines


class ActionTeamDashboard(StaffAction):
    """The manager's team figures (services.dashboard.team_dashboard) in short lines, with the dashboard link."""

    def name(self) -> str:
        return "action_team_dashboard"

    def allows(self, who: Identity) -> bool:
        return who.role == "manager" and who.staff_id is not None

    def refuse(self, dispatcher: CollectingDispatcher, who: Identity | None) -> None:
        dispatcher.utter_message(response="utter_team_dashboard_advisor" if who is not None and who.role == "advisor"
                                 else "utter_team_dashboard_refused")

    def serve(self, dispatcher: CollectingDispatcher, tracker: Tracker, viewer: Identity) -> list[EventType]:
        period = period_so_far(latest_text(tracker), clock.today())
        try:
            with self.session() as session:
                figures = team_dashboard(session, viewer.staff_id or 0, period.start, period.end)
        except (NotAManager, ValueError):
            dispatcher.utter_message(response="utter_team_dashboard_refused")
            return []
        record_usage(tracker, "team_dashboard", period=period.label_zh)
        url = public_url(f"/dashboard?start={period.start.isoformat()}&end={period.end.isoformat()}")
        dispatcher.utter_message(text="\n".join([*dashboard_lines(figures, period.label_zh), f"详细看板：{url}"]))
        dispatcher.utter_message(json_message={"type": "card", "title": "团队运营看板", "url": url,
                                               "description": f"{period.label_zh}的活跃、建议书、联系与销售图表",
                                               "button_text": "打开看板"})
        return []

"""actions/manager.py with a Tracker and a CollectingDispatcher: note form, preview, publish (through a fake
WeCom API), and the team dashboard checked against independent counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from actions.manager import (
    ActionNoteDiscard,
    ActionNotePreview,
    ActionNotePublish,
    ActionTeamDashboard,
    ValidateNoteForm,
)
from actions.questions import ActionAnswerQuestion
from bank.db import session_scope
from bank.models import Client, Contact, MeetingNote, Order, Proposal, Staff, Transaction, UsageEvent
from bank.notifications import messages_for
from services.outbox import run_once
from tests.actions.kit import make_tracker, run_action
from tests.wecom_peer.fake_api import FakeWeCom

BODY = "本周重点：大额存单到期客户提前两周电话回访，续作优先推荐鑫享定期存款；合规提醒：双录不能漏。"
FORM_DOMAIN: dict[str, Any] = {
    "forms": {"note_form": {"required_slots": ["note_body"]}},
    "slots": {name: {"type": "text", "mappings": [{"type": "custom"}]} for name in ("note_body", "note_kind")},
}
PREVIEWED = [{"event": "action", "name": "action_note_preview"}, {"event": "action", "name": "action_listen"},
             {"event": "user", "text": "确认"}]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def team_userids(url: str, manager: str = "chenjing") -> set[str]:
    with session_scope(url) as session:
        team = session.scalar(select(Staff.team_id).where(Staff.wecom_userid == manager))
        return set(session.scalars(select(Staff.wecom_userid).where(Staff.team_id == team,
                                                                    Staff.wecom_userid != manager)))


class TestNoteForm:
    def run_form(self, text: str, intent: str, requested: str | None = None, earlier: str | None = None
                 ) -> dict[str, Any]:
        tracker = make_tracker("chenjing", text, intent, active_loop="note_form",
                               slots={"role": "manager", "requested_slot": requested, "note_body": earlier,
                                      "note_kind": None})
        messages, events = run_action(ValidateNoteForm(), tracker, FORM_DOMAIN)
        return {"messages": messages, **slots_of(events)}

    def test_the_note_in_the_first_message_fills_the_form(self, env: str) -> None:
        out = self.run_form("发布夕会纪要：" + BODY, "broadcast_note")
        assert out["note_body"] == BODY

    def test_without_a_note_the_form_asks_and_takes_the_next_message(self, env: str) -> None:
        assert self.run_form("帮我发一下晨会纪要", "broadcast_note")["note_body"] is None
        pasted = self.run_form(BODY, "ask_knowledge", requested="note_body")  # NLU took the note for a question
        assert pasted["note_body"] == BODY

    def test_a_new_request_never_reuses_a_note_left_from_an_earlier_preview(self, env: str) -> None:
        assert self.run_form("发布晨会纪要", "broadcast_note", earlier=BODY)["note_body"] is None

    def test_a_short_question_or_a_cancel_is_left_to_the_rules(self, env: str) -> None:
        assert "note_body" not in self.run_form("年金险是什么", "ask_knowledge", requested="note_body")
        assert "note_body" not in self.run_form("算了，不发了，这个先不用发布了，以后再说吧好吗", "cancel",
                                                requested="note_body")

    def test_too_short_a_note_is_asked_again(self, env: str) -> None:
        out = self.run_form("好的收到", "affirm", requested="note_body")
        assert out["note_body"] is None and out["messages"][0]["response"] == "utter_note_body_invalid"
        assert "10个字" in out["messages"][0]["reason"]


class TestPreviewAndPublish:
    def test_preview_shows_the_note_and_the_recipients(self, env: str) -> None:
        asked = [{"event": "user", "text": "发一下今天的夕会纪要", "parse_data": {"intent": {"name": "broadcast_note"}}},
                 {"event": "active_loop", "name": "note_form"},
                 {"event": "user", "text": "今天完成回访二十位", "parse_data": {"intent": {"name": "broadcast_note"}}}]
        tracker = make_tracker("chenjing", BODY, "inform", slots={"note_body": BODY}, events=asked)
        messages, events = run_action(ActionNotePreview(), tracker)
        assert messages[0]["text"].startswith("预览【") and "夕会纪要】" in messages[0]["text"]
        assert BODY in messages[0]["text"] and slots_of(events)["note_kind"] == "evening"
        assert messages[1]["response"] == "utter_note_ask_confirm"
        assert messages[1]["count"] == len(team_userids(env)) and "张敏" in messages[1]["names"]
        assert slots_of(events)["note_awaiting"] is True

    @pytest.mark.parametrize(("sender", "response"), [("zhangmin", "utter_note_advisor_refused"),
                                                      ("nobody", "utter_note_not_allowed")])
    def test_others_are_refused(self, env: str, sender: str, response: str) -> None:
        tracker = make_tracker(sender, "发布晨会纪要", "broadcast_note", slots={"note_body": BODY})
        messages, events = run_action(ActionNotePreview(), tracker)
        assert [m["response"] for m in messages] == [response] and slots_of(events)["note_body"] is None

    def test_confirmed_note_reaches_every_member_through_wecom_and_is_answerable(
        self, fake_wecom: FakeWeCom, env: str
    ) -> None:
        tracker = make_tracker("chenjing", "确认", "affirm", slots={"note_body": BODY, "note_kind": "morning",
                                                                  "note_awaiting": True}, events=PREVIEWED)
        messages, events = run_action(ActionNotePublish(), tracker)
        assert messages[0]["response"] == "utter_note_published"
        members = team_userids(env)
        assert messages[0]["count"] == len(members)
        assert fake_wecom.sent("message/send") == []  # the action only stores; the sender worker delivers
        run_once(url=env)
        sent = fake_wecom.sent("message/send")
        assert {body["touser"] for body in sent} == members
        assert all(BODY in body["text"]["content"] and "晨会纪要" in body["text"]["content"] for body in sent)
        with session_scope(env) as session:
            note = session.scalar(select(MeetingNote).order_by(MeetingNote.id.desc()).limit(1))
            assert note is not None and note.body == BODY
            for userid in members:
                assert [n.sent_at is not None for n in messages_for(session, userid, kind="broadcast")] == [True]
            assert session.scalar(select(UsageEvent.feature).where(UsageEvent.actor_id == "chenjing")
                                  .order_by(UsageEvent.id.desc()).limit(1)) == "broadcast"
        assert slots_of(events)["note_awaiting"] is False
        # Asked about the meeting: the training material answers the general question (到期前7到15天) as well.
        question = make_tracker("zhangmin", "晨会说大额存单到期客户要提前多久回访？", "ask_knowledge",
                                slots={"role": "advisor"})
        reply, _ = run_action(ActionAnswerQuestion(), question)
        assert "提前两周" in reply[0]["text"] and "晨会纪要" in reply[0]["text"]

    def test_a_yes_that_does_not_answer_the_preview_publishes_nothing(self, env: str) -> None:
        with session_scope(env) as session:
            before = session.execute(select(func.count()).select_from(MeetingNote)).scalar_one()
        later = [*PREVIEWED[:2], {"event": "user", "text": "团队数据"}, {"event": "action", "name": "action_team_dashboard"},
                 {"event": "action", "name": "action_listen"}, {"event": "user", "text": "好的"}]
        tracker = make_tracker("chenjing", "好的", "affirm", slots={"note_body": BODY, "note_awaiting": True},
                               events=later)
        messages, _ = run_action(ActionNotePublish(), tracker)
        assert messages[0]["response"] == "utter_note_stale"
        with session_scope(env) as session:
            assert session.execute(select(func.count()).select_from(MeetingNote)).scalar_one() == before

    def test_discard(self, env: str) -> None:
        messages, events = run_action(ActionNoteDiscard(), make_tracker("chenjing", "不发了", "deny"))
        assert messages[0]["response"] == "utter_note_discarded" and slots_of(events)["note_body"] is None


def figure(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return match.group(1)


class TestTeamDashboard:
    def test_figures_match_independent_counts(self, env: str) -> None:
        # The demo bank is built for 2026-11-28, so the month is named; it ends at the real today at the latest.
        messages, _ = run_action(ActionTeamDashboard(), make_tracker("chenjing", "2026年11月的团队数据",
                                                                      "team_dashboard", slots={"role": "manager"}))
        text = messages[0]["text"]
        first, today = dt.date(2026, 11, 1), min(dt.date(2026, 11, 30), dt.date.today())
        assert "2026年11月" in text
        lo, hi = dt.datetime.combine(first, dt.time()), dt.datetime.combine(today, dt.time.max)
        with session_scope(env) as session:
            team = session.scalar(select(Staff.team_id).where(Staff.wecom_userid == "chenjing"))
            staff = select(Staff.id).where(Staff.team_id == team)
            proposals = session.scalar(select(func.count()).select_from(Proposal).where(
                Proposal.created_by_id.in_(staff), Proposal.created_at.between(lo, hi)))
            contacts = session.scalar(select(func.count()).select_from(Contact).where(
                Contact.advisor_id.in_(staff), Contact.happened_at.between(lo, hi)))
            orders = session.scalar(select(func.count()).select_from(Order).join(Client).where(
                Client.advisor_id.in_(staff), Order.created_at.between(lo, hi), Order.status != "cancelled",
                Order.status != "failed"))
            sales = session.scalar(select(func.sum(Transaction.amount)).join(Client).where(
                Client.advisor_id.in_(staff), Transaction.kind.in_(("buy", "premium")),
                Transaction.trade_date.between(first, today))) or Decimal(0)
        assert int(figure(text, r"建议书(\d+)份")) == proposals
        assert int(figure(text, r"联系客户(\d+)次")) == contacts and contacts > 0
        assert int(figure(text, r"订单(\d+)笔")) == orders
        assert figure(text, r"销售额([\d,]+\.\d\d)元").replace(",", "") == f"{sales:.2f}"
        assert "/dashboard?start=" in text and messages[1]["custom"]["url"].endswith(f"end={today.isoformat()}")
        assert "待办跟进" in text  # the briefing's reminders and how many the advisors acted on

    def test_a_named_period_is_used(self, env: str) -> None:
        messages, _ = run_action(ActionTeamDashboard(), make_tracker("chenjing", "本周团队联系了多少客户",
                                                                      "team_dashboard"))
        assert "团队本周" in messages[0]["text"]

    @pytest.mark.parametrize(("sender", "response"), [("zhangmin", "utter_team_dashboard_advisor"),
                                                      ("nobody", "utter_team_dashboard_refused")])
    def test_only_managers(self, env: str, sender: str, response: str) -> None:
        messages, _ = run_action(ActionTeamDashboard(), make_tracker(sender, "团队数据", "team_dashboard"))
        assert [m["response"] for m in messages] == [response]

"""The actions every audience shares: cancel a form, answer a question, hand over to the advisor, notify."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from sqlalchemy import func, select

from actions.forms_control import ActionCancelForm
from actions.handoff import ActionHumanHandoff
from actions.questions import ActionAnswerQuestion, ActionFallbackAnswer
from bank.db import session_scope
from bank.directory import Identity
from bank.models import Client, InboxMessage, Notification, Staff, UsageEvent
from bank.notifications import messages_for
from services.notify import notify
from services.outbox import run_once
from tests.actions.kit import make_tracker, run_action
from tests.wecom_peer.fake_api import FakeWeCom

FORM_DOMAIN: dict[str, Any] = {"forms": {"demo_form": {"required_slots": ["demo_age", "demo_income"]}}}


def advisor_userid_of(url: str, client_id: int) -> tuple[str, str]:
    with session_scope(url) as session:
        client = session.get(Client, client_id)
        assert client is not None
        staff = session.get(Staff, client.advisor_id)
        assert staff is not None
        return staff.wecom_userid, staff.name


class TestCancelForm:
    def test_active_form_is_stopped_and_its_slots_cleared(self) -> None:
        tracker = make_tracker("u1", "算了", "cancel", active_loop="demo_form",
                               slots={"demo_age": 35, "demo_income": None, "requested_slot": "demo_income"})
        messages, events = run_action(ActionCancelForm(), tracker, FORM_DOMAIN)
        assert [m["response"] for m in messages] == ["utter_form_cancelled"]
        assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
        assert SlotSet("demo_age", None) in events and SlotSet("demo_income", None) not in events

    @pytest.mark.parametrize(("flag", "response", "cleared"), [
        ("cancel_awaiting", "utter_policy_cancel_kept", "cancel_order_id"),
        ("edit_awaiting", "utter_portfolio_edit_discarded", "portfolio_edit"),
        ("push_awaiting", "utter_push_aborted", "push_portfolio_id"),
    ])
    def test_a_preview_waiting_for_its_confirmation_is_dropped(self, flag: str, response: str, cleared: str) -> None:
        tracker = make_tracker("u1", "算了", "cancel", slots={flag: True, cleared: "x", "note_awaiting": False})
        messages, events = run_action(ActionCancelForm(), tracker, FORM_DOMAIN)
        assert [m["response"] for m in messages] == [response]
        assert SlotSet(flag, False) in events and SlotSet(cleared, None) in events

    def test_nothing_to_cancel(self) -> None:
        messages, events = run_action(ActionCancelForm(), make_tracker("u1", "算了", "cancel"), FORM_DOMAIN)
        assert [m["response"] for m in messages] == ["utter_nothing_to_cancel"] and events == []


class TestAnswerQuestion:
    def test_client_question_is_answered_with_sources_and_a_risk_notice(self, env: str) -> None:
        tracker = make_tracker("c1", "个人养老金账户每年最多能存多少钱", "ask_knowledge", slots={"role": "client"})
        messages, _ = run_action(ActionAnswerQuestion(), tracker)
        assert "来源：《" in messages[0]["text"]
        assert "12000" in messages[0]["text"].replace(",", "") or "1.2万" in messages[0]["text"]
        assert messages[-1].get("response") == "utter_risk_notice"

    def test_unanswerable_question_is_honest_and_offers_the_advisor(self, env: str) -> None:
        tracker = make_tracker("c1", "火星上的房价明年会涨吗", "ask_knowledge", slots={"role": "client"})
        messages, _ = run_action(ActionAnswerQuestion(), tracker)
        assert [m.get("response") for m in messages] == ["utter_knowledge_not_found"]

    def test_staff_get_the_staff_wording_when_nothing_is_found(self, env: str) -> None:
        tracker = make_tracker("zhangmin", "火星上的房价明年会涨吗", "ask_knowledge", slots={"role": "advisor"})
        messages, _ = run_action(ActionAnswerQuestion(), tracker)
        assert [m.get("response") for m in messages] == ["utter_knowledge_not_found_staff"]


class TestFallbackAnswer:
    def test_a_question_the_classifier_missed_is_still_answered(self, env: str) -> None:
        tracker = make_tracker("c1", "个人养老金账户每年最多能存多少钱", "nlu_fallback", slots={"role": "client"})
        messages, _ = run_action(ActionFallbackAnswer(), tracker)
        assert "来源：《" in messages[0]["text"] and messages[-1].get("response") == "utter_risk_notice"

    def test_anything_else_is_asked_to_rephrase_and_not_counted_as_a_question(self, env: str) -> None:
        tracker = make_tracker("c1", "火星上的房价明年会涨吗", "nlu_fallback", slots={"role": "client"})
        with session_scope(env) as session:
            before = session.scalar(select(func.count()).select_from(UsageEvent))
        messages, _ = run_action(ActionFallbackAnswer(), tracker)
        assert [m.get("response") for m in messages] == ["utter_default"]
        with session_scope(env) as session:
            assert session.scalar(select(func.count()).select_from(UsageEvent)) == before


class TestHandoff:
    def test_client_advisor_gets_the_question_and_a_summary_link(
        self, env: str, people: dict[str, Identity]
    ) -> None:
        client = people["client"]
        assert client.client_id is not None
        advisor_userid, advisor_name = advisor_userid_of(env, client.client_id)
        events = [{"event": "user", "text": "我的基金最近亏了不少，要不要赎回"},
                  {"event": "bot", "text": "这个问题我暂时没有找到可靠的资料"},
                  {"event": "user", "text": "转人工"}]
        tracker = make_tracker(client.wecom_id, "转人工", "human_handoff", slots={"role": "client"}, events=events)
        messages, _ = run_action(ActionHumanHandoff(), tracker)
        assert messages == [{**messages[0], "response": "utter_handoff_done", "advisor_name": advisor_name}]
        with session_scope(env) as session:
            note = messages_for(session, advisor_userid, kind="handoff")[-1]
            assert client.name in note.text and "要不要赎回" in note.text
            assert note.card is not None and note.card["url"].endswith("/handoffs/" + note.card["token"])
            assert [line["text"] for line in note.card["transcript"]][-1] == "转人工"
            assert note.sent_at is None  # WeCom is not configured here: the message waits in the outbox

    @pytest.mark.parametrize(("sender", "response"), [("nobody-at-all", "utter_handoff_unknown"),
                                                      ("zhangmin", "utter_handoff_staff")])
    def test_non_clients_are_told_why(self, env: str, sender: str, response: str) -> None:
        with session_scope(env) as session:
            before = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1))
        messages, _ = run_action(ActionHumanHandoff(), make_tracker(sender, "转人工", "human_handoff"))
        assert [m["response"] for m in messages] == [response]
        with session_scope(env) as session:
            assert session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) == before


class TestNotify:
    """notify() only stores; the sender worker (services/outbox.py) delivers."""

    def test_staff_message_goes_through_the_app_and_is_marked_sent(self, fake_wecom: FakeWeCom,
                                                                    env: str) -> None:
        note_id = notify("zhangmin", "客户王芳确认了组合", card={"title": "订单通知", "url": "http://x/p"})
        assert fake_wecom.sent("message/send", to="zhangmin") == []  # stored, not sent by the caller
        run_once(url=env)
        sent = fake_wecom.sent("message/send", to="zhangmin")
        assert sent and sent[-1]["msgtype"] == "textcard" and sent[-1]["textcard"]["url"] == "http://x/p"
        with session_scope(env) as session:
            note = session.get(Notification, note_id)
            assert note is not None and note.sent_at is not None and note.error is None

    def test_client_buttons_become_a_kf_menu_from_the_configured_account(self, fake_wecom: FakeWeCom,
                                                                         env: str) -> None:
        with session_scope(env) as session:  # the client wrote to 微信客服 a moment ago: its window is open
            session.add(InboxMessage(channel="kf", message_id="m1", sender="wmClient001", text="你好",
                                     received_at=dt.datetime.now(), state="done", attempts=1))
        notify("wmClient001", "您的理财经理为您推荐了稳健组合", card={"title": "组合推荐", "buttons": [
            ["确认", '/confirm_push{"push_task":"t1"}'], ["暂不", '/decline_push{"push_task":"t1"}']]})
        run_once(url=env)
        sent = fake_wecom.sent("kf/send_msg", to="wmClient001")
        assert sent and sent[-1]["open_kfid"] == "wkTESTKF" and sent[-1]["msgtype"] == "msgmenu"
        assert [i["click"]["content"] for i in sent[-1]["msgmenu"]["list"]] == ["确认", "暂不"]

    def test_a_wecom_failure_keeps_the_message_with_the_error(self, fake_wecom: FakeWeCom, env: str) -> None:
        fake_wecom.inject("message/send", 60020)
        note_id = notify("zhangmin", "测试消息")
        run_once(url=env)
        with session_scope(env) as session:
            note = session.get(Notification, note_id)
            assert note is not None and note.sent_at is None and note.state == "dead"
            assert "60020" in (note.error or "")

    def test_empty_recipient_is_refused_without_raising(self, env: str) -> None:
        assert notify("", "内容") is None

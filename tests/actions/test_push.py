"""actions/push.py and actions/push_replies.py with a Tracker and a CollectingDispatcher, on a private copy of the demo bank."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from actions.push import ActionPushPreview, ActionPushSend
from actions.push_replies import ActionConfirmPush, ActionDeclinePush, ActionMyPushes
from bank.db import session_scope
from bank.models import Client, Order, PortfolioPush, UsageEvent
from bank.notifications import messages_for
from calc import clock
from services.sign_in import redeem
from tests.actions.kit import make_tracker, run_action
from tests.services.push_cast import Cast

ANSWERED_PREVIEW = [{"event": "action", "name": "action_push_preview"}, {"event": "action", "name": "action_listen"},
                    {"event": "user", "text": "确认"}]


@pytest.fixture
def env(bank_env: str) -> str:
    """A private bank copy and no WeCom; these tests need no knowledge index (tests/actions/conftest.py)."""
    return bank_env


@pytest.fixture
def people(push_cast: Cast) -> Cast:
    return push_cast


def client_row(url: str, client_id: int) -> Client:
    with session_scope(url) as session:
        client = session.get(Client, client_id)
        assert client is not None
        return client


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def preview(url: str, text: str, slots: dict[str, Any] | None = None, sender: str = "zhangmin"
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    messages, events = run_action(ActionPushPreview(), make_tracker(sender, text, "push_portfolio",
                                                                    slots={"role": "advisor", **(slots or {})}))
    return messages, slots_of(events)


def send(slots: dict[str, Any], events: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    tracker = make_tracker("zhangmin", "确认", "affirm", slots={"role": "advisor", **slots},
                           events=ANSWERED_PREVIEW if events is None else events)
    return run_action(ActionPushSend(), tracker)[0]


class TestAdvisorPush:
    def test_preview_names_the_suitable_and_the_skipped_and_asks_to_confirm(self, env: str, people: Cast) -> None:
        good, low = client_row(env, people.suitable[0]), client_row(env, people.low_risk)
        messages, slots = preview(env, f"把稳健组合推给{good.name}尾号{good.phone[-4:]}、{low.name}尾号{low.phone[-4:]}")  # type: ignore[index]
        assert f"可推送1位：{good.name}（C3）" in messages[0]["text"]
        assert f"· {low.name}：风险等级C1低于" in messages[0]["text"]
        assert messages[1]["response"] == "utter_push_ask_confirm"
        assert slots["push_awaiting"] is True and slots["push_client_ids"] == [good.id]

    def test_push_to_the_prospect_list_just_shown(self, env: str, people: Cast) -> None:
        ids = [*people.suitable, people.expired]
        messages, slots = preview(env, "把稳健组合推给他们", {"adv_prospect_ids": [str(i) for i in ids]})
        assert "可推送3位" in messages[0]["text"] and "不推送1位" in messages[0]["text"]
        assert slots["push_client_ids"] == people.suitable

    def test_portfolio_from_the_prospect_search_and_missing_pieces_are_asked_for(self, env: str, people: Cast) -> None:
        messages, slots = preview(env, "推给他们", {"adv_prospect_ids": people.suitable[:1], "adv_portfolio_id": 1})
        assert messages[0]["text"].startswith("稳健组合") and slots["push_portfolio_id"] == 1
        messages, slots = preview(env, "推给他们")
        assert messages[0]["response"] == "utter_push_ask_portfolio" and "平衡组合（R3）" in messages[0]["portfolios"]
        messages, _ = preview(env, "把稳健组合推一下")
        assert messages[0]["response"] == "utter_push_ask_clients"

    def test_too_small_an_amount_is_explained(self, env: str, people: Cast) -> None:
        name = client_row(env, people.suitable[0]).name
        messages, slots = preview(env, f"把稳健组合推给{name}，每人5000元")
        assert messages[0]["response"] == "utter_push_amount_too_small" and messages[0]["minimum"] == "33,333.33元"
        assert "push_awaiting" not in slots

    def test_clients_cannot_push(self, env: str, people: Cast) -> None:
        client = client_row(env, people.suitable[0])
        messages, _ = preview(env, "把稳健组合推给张伟", sender=str(client.wecom_external_userid))
        assert messages[0]["response"] == "utter_push_staff_only"

    def test_confirmed_preview_sends_each_client_a_card_with_buttons_and_a_link(self, env: str, people: Cast) -> None:
        slots = {"push_portfolio_id": 1, "push_client_ids": people.suitable, "push_amount": "50000.00",
                 "push_awaiting": True}
        messages = send(slots)
        assert "已把稳健组合推送给3位客户" in messages[0]["text"]
        with session_scope(env) as session:
            for client_id in people.suitable:
                client = session.get(Client, client_id)
                assert client is not None
                note = messages_for(session, str(client.wecom_external_userid), kind="portfolio_push")[-1]
                push = session.scalar(select(PortfolioPush).where(PortfolioPush.client_id == client_id))
                assert push is not None and note.card is not None
                # the card's link is the client's one-time sign-in link, landing on their push page
                assert "/auth/link/" in note.card["url"] and push.task_id not in note.card["url"]
                assert redeem(session, note.card["url"].rsplit("/", 1)[1], clock.now()) == (
                    client.wecom_external_userid, f"/pushes/{push.task_id}")
                assert note.card["buttons"] == [["确认", f'/confirm_push{{"push_task": "{push.task_id}"}}'],
                                                ["暂不", f'/decline_push{{"push_task": "{push.task_id}"}}']]
                assert "50,000.00元" in note.text
            usage = session.scalars(select(UsageEvent).where(UsageEvent.actor_id == "zhangmin",
                                                             UsageEvent.feature == "portfolio_push")).all()
            assert usage[-1].detail["sent"] == 3

    def test_a_yes_that_does_not_answer_the_preview_sends_nothing(self, env: str, people: Cast) -> None:
        slots = {"push_portfolio_id": 1, "push_client_ids": people.suitable, "push_amount": "50000.00"}
        other = [{"event": "action", "name": "action_push_preview"}, {"event": "action", "name": "action_listen"},
                 {"event": "user", "text": "看看张伟"}, {"event": "action", "name": "action_client_profile"},
                 {"event": "action", "name": "action_listen"}, {"event": "user", "text": "好的"}]
        assert send(slots, other)[0]["response"] == "utter_push_stale"
        with session_scope(env) as session:
            assert session.execute(select(func.count()).select_from(PortfolioPush)).scalar_one() == 0


class TestClientAnswers:
    @pytest.fixture
    def pushed(self, env: str, people: Cast) -> tuple[Client, str]:
        send({"push_portfolio_id": 1, "push_client_ids": people.suitable[:1], "push_amount": "40000"})
        client = client_row(env, people.suitable[0])
        with session_scope(env) as session:
            task = session.scalar(select(PortfolioPush.task_id).where(PortfolioPush.client_id == client.id))
        assert task
        return client, task

    def press(self, client: Client, intent: str, task: str | None) -> list[dict[str, Any]]:
        entities = [{"entity": "push_task", "value": task}] if task else []
        text = f"/{intent}{json.dumps({'push_task': task})}" if task else "确认购买"
        tracker = make_tracker(str(client.wecom_external_userid), text, intent, slots={"role": "client"},
                               entities=entities)
        action = {"confirm_push": ActionConfirmPush(), "decline_push": ActionDeclinePush(),
                  "my_pushes": ActionMyPushes()}[intent]
        return run_action(action, tracker)[0]

    def test_confirm_creates_orders_once_and_tells_the_advisor_once(self, env: str, pushed: tuple[Client, str]) -> None:
        client, task = pushed
        first = self.press(client, "confirm_push", task)
        assert first[0]["response"] == "utter_push_confirmed" and "合计4笔，40,000.00元" in first[0]["orders"]
        for _ in range(3):
            assert self.press(client, "confirm_push", task)[0]["response"] == "utter_push_already_confirmed"
        with session_scope(env) as session:
            assert session.execute(select(func.count()).select_from(Order).where(Order.client_id == client.id,
                                                                                 Order.push_id.is_not(None))
                                   ).scalar_one() == 4
            told = messages_for(session, "zhangmin", kind="push_confirmed")
            assert len(told) == 1 and client.name in told[0].text and "40,000.00元" in told[0].text

    def test_typed_confirmation_uses_the_only_pending_push(self, env: str, pushed: tuple[Client, str]) -> None:
        client, _ = pushed
        assert self.press(client, "confirm_push", None)[0]["response"] == "utter_push_confirmed"

    def test_decline_then_list(self, env: str, pushed: tuple[Client, str]) -> None:
        client, task = pushed
        listed = self.press(client, "my_pushes", None)
        assert listed[0]["response"] == "utter_push_pending_head" and listed[0]["count"] == 1
        assert [b["title"] for b in listed[1]["buttons"]] == ["确认", "暂不"] and task in listed[1]["buttons"][0]["payload"]
        link = listed[1]["text"].rsplit("详情：", 1)[1]  # a fresh sign-in link to the push page
        with session_scope(env) as session:
            assert redeem(session, link.rsplit("/auth/link/", 1)[1], clock.now()) == (
                client.wecom_external_userid, f"/pushes/{task}")
        assert self.press(client, "decline_push", task)[0]["response"] == "utter_push_declined"
        assert self.press(client, "confirm_push", task)[0]["response"] == "utter_push_was_declined"
        assert self.press(client, "my_pushes", None)[0]["response"] == "utter_push_none_pending"
        with session_scope(env) as session:
            assert len(messages_for(session, "zhangmin", kind="push_declined")) == 1

    def test_someone_elses_task_id_is_not_found(self, env: str, people: Cast, pushed: tuple[Client, str]) -> None:
        _, task = pushed
        other = client_row(env, people.suitable[1])
        assert self.press(other, "confirm_push", task)[0]["response"] == "utter_push_not_found"

    def test_staff_asking_for_their_pushes_get_the_review_of_what_they_pushed(
            self, env: str, pushed: tuple[Client, str]) -> None:
        _, task = pushed
        tracker = make_tracker("zhangmin", "我最近推的组合客户都确认了吗", "my_pushes", slots={"role": "advisor"})
        replies = run_action(ActionMyPushes(), tracker)[0]
        assert "utter_push_clients_only" not in [r.get("response") for r in replies]
        assert "您推送的" in replies[0]["text"], replies
        assert replies[-1]["custom"]["url"].endswith(f"/pushes/{task}")

    def test_staff_cannot_confirm(self, env: str, pushed: tuple[Client, str]) -> None:
        _, task = pushed
        tracker = make_tracker("zhangmin", "确认购买", "confirm_push", entities=[{"entity": "push_task", "value": task}])
        assert run_action(ActionConfirmPush(), tracker)[0][0]["response"] == "utter_push_clients_only"

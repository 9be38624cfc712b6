"""The product shelf in chat (actions/client/shelf.py): a list that puts suitability first, products above the
client's level apart, staff without anyone's suitability, comparisons, and the hand-off about one product."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from actions.client.shelf import ActionShelfAskAdvisor, ActionShelfBrowse, ActionShelfCompare
from bank.db import session_scope
from bank.directory import Identity
from bank.models import Client, Notification
from calc import clock
from services.shelf import browse
from tests.actions.kit import make_tracker, run_action


def responses(messages: list[dict[str, Any]]) -> list[object]:
    return [m.get("response") for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def assess(url: str, client_id: int, level: str | None, days_ago: int | None = 30) -> None:
    with session_scope(url) as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.risk_level = level
        client.risk_assessed_on = None if days_ago is None else clock.today() - dt.timedelta(days=days_ago)


@pytest.fixture
def client(people: dict[str, Identity], bank_env: str) -> Identity:
    """The demo client, assessed C2 a month ago, in this test's private bank."""
    assert people["client"].client_id is not None
    assess(bank_env, people["client"].client_id, "C2")
    return people["client"]


def test_a_client_gets_a_short_list_within_their_level_and_a_sign_in_link(client: Identity, bank_env: str) -> None:
    messages, events = run_action(ActionShelfBrowse(), make_tracker(client.wecom_id, "有哪些一年以内的R2理财",
                                                                    "shelf_browse"))
    assert responses(messages) == ["utter_shelf_list"]
    lines = str(messages[0]["items"]).splitlines()
    assert 1 <= len(lines) <= 5 and all("R2" in line and "起购" in line for line in lines)
    assert "C2" in str(messages[0]["notice"]) and "/auth/link/" in str(messages[0]["url"])
    with session_scope(bank_env) as session:
        expected = [i.code for i in browse(session, client.client_id, "有哪些一年以内的R2理财", limit=5).items]
    assert slots(events)["shelf_products"] == expected


def test_products_above_the_level_are_shown_apart_with_the_way_to_reassess(client: Identity) -> None:
    messages, events = run_action(ActionShelfBrowse(), make_tracker(client.wecom_id, "有没有R4的股票基金",
                                                                    "shelf_browse"))
    assert responses(messages) == ["utter_shelf_unsuitable", "utter_shelf_none_suitable"]
    assert messages[0]["level"] == "C2" and "R4" in str(messages[0]["items"])
    assert "风险测评" in str(messages[0]["reassess"])
    assert slots(events)["shelf_products"] is None


def test_an_unassessed_client_is_told_to_assess_before_buying(people: dict[str, Identity], bank_env: str) -> None:
    assert people["client"].client_id is not None
    assess(bank_env, people["client"].client_id, None, None)
    messages, _ = run_action(ActionShelfBrowse(), make_tracker(people["client"].wecom_id, "随时能取的", "shelf_browse"))
    assert responses(messages) == ["utter_shelf_list"] and "风险测评" in str(messages[0]["notice"])


def test_staff_see_products_on_sale_without_suitability(people: dict[str, Identity], bank_env: str) -> None:
    messages, _ = run_action(ActionShelfBrowse(), make_tracker(people["advisor"].wecom_id, "起投一万以下的有吗",
                                                               "shelf_browse"))
    assert responses(messages) == ["utter_shelf_list_staff"]
    assert str(messages[0]["url"]).split("/", 3)[3].startswith("shelf?q=")


def test_a_button_payload_browses_everything(client: Identity) -> None:
    messages, _ = run_action(ActionShelfBrowse(), make_tracker(client.wecom_id, "/shelf_browse", "shelf_browse"))
    assert responses(messages) == ["utter_shelf_list"] and messages[0]["understood"] == "全部在售产品"


def test_two_kinds_compared_with_the_verdict_for_the_client(client: Identity) -> None:
    messages, events = run_action(ActionShelfCompare(), make_tracker(
        client.wecom_id, "货币基金和纯债基金有什么区别，哪个适合我", "shelf_compare"))
    assert responses(messages) == ["utter_shelf_compare", None]
    assert "为例" in str(messages[0]["rows"]) and "C2" in str(messages[0]["verdict"])
    assert "/shelf/compare.png?codes=" in str(messages[1]["image"])
    chosen = slots(events)
    assert chosen["shelf_product"] == chosen["shelf_products"][0]


def test_a_comparison_of_the_list_just_shown(client: Identity) -> None:
    shown = ["WM365", "WM270", "WM180"]
    messages, events = run_action(ActionShelfCompare(), make_tracker(
        client.wecom_id, "第1款和第3款哪个适合我", "shelf_compare", slots={"shelf_products": shown}))
    assert responses(messages)[0] == "utter_shelf_compare"
    assert set(slots(events)["shelf_products"]) == {"WM365", "WM180"}


def test_staff_compare_without_anyones_verdict(people: dict[str, Identity], bank_env: str) -> None:
    messages, _ = run_action(ActionShelfCompare(), make_tracker(people["advisor"].wecom_id, "天天利和日日盈比一比",
                                                                "shelf_compare"))
    assert responses(messages) == ["utter_shelf_compare_staff", None]
    assert messages[0]["names"] == "天天利现金管理、日日盈货币基金A" and "/shelf/compare?codes=CM001" in messages[0]["url"]


@pytest.mark.parametrize("text", ["就看看天天利", "哪个好", "今天天气不错"])
def test_fewer_than_two_products_get_a_polite_question(client: Identity, text: str) -> None:
    messages, events = run_action(ActionShelfCompare(), make_tracker(client.wecom_id, text, "shelf_compare"))
    assert responses(messages) == ["utter_shelf_compare_which"] and events == []


def advisor_notes(url: str, userid: str) -> list[Notification]:
    with session_scope(url) as session:
        found = list(session.scalars(select(Notification).where(Notification.recipient == userid,
                                                                Notification.kind == "handoff")))
        session.expunge_all()
        return found


def test_asking_the_advisor_about_the_product_in_view(client: Identity, bank_env: str) -> None:
    with session_scope(bank_env) as session:
        owner = session.get(Client, client.client_id)
        assert owner is not None and owner.advisor is not None
        advisor_userid = owner.advisor.wecom_userid
    tracker = make_tracker(client.wecom_id, "这个产品我想买，帮我联系理财经理", "shelf_ask_advisor",
                           slots={"shelf_products": ["BF005", "CM004"], "shelf_product": "BF005"})
    messages, _ = run_action(ActionShelfAskAdvisor(), tracker)
    assert responses(messages) == ["utter_shelf_ask_sent"] and messages[0]["product"] == "瑞禾双利债券"
    notes = advisor_notes(bank_env, advisor_userid)
    assert len(notes) == 1 and notes[0].card is not None and notes[0].card["product"]["code"] == "BF005"
    again, _ = run_action(ActionShelfAskAdvisor(), tracker)
    assert responses(again) == ["utter_shelf_ask_already"] and len(advisor_notes(bank_env, advisor_userid)) == 1


def test_several_shown_and_none_picked_asks_which_with_buttons(client: Identity) -> None:
    tracker = make_tracker(client.wecom_id, "这个我想买，联系理财经理", "shelf_ask_advisor",
                           slots={"shelf_products": ["WM365", "WM270"]})
    messages, _ = run_action(ActionShelfAskAdvisor(), tracker)
    assert responses(messages) == ["utter_shelf_ask_which"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ['/shelf_ask_advisor{"product": "WM365"}',
                                                              '/shelf_ask_advisor{"product": "WM270"}']
    picked = make_tracker(client.wecom_id, messages[0]["buttons"][1]["payload"], "shelf_ask_advisor",
                          slots={"shelf_products": ["WM365", "WM270"]},
                          entities=[{"entity": "product", "value": "WM270"}])
    messages, events = run_action(ActionShelfAskAdvisor(), picked)
    assert responses(messages) == ["utter_shelf_ask_sent"] and slots(events)["shelf_product"] == "WM270"


def test_nothing_in_view_is_a_plain_hand_off(client: Identity) -> None:
    messages, _ = run_action(ActionShelfAskAdvisor(), make_tracker(client.wecom_id, "帮我联系理财经理想买点东西",
                                                                   "shelf_ask_advisor"))
    assert responses(messages) == ["utter_handoff_done"]


@pytest.mark.parametrize(("who", "response"), [("advisor", "utter_shelf_ask_staff"),
                                               ("stranger", "utter_handoff_unknown")])
def test_only_clients_ask_their_advisor(people: dict[str, Identity], bank_env: str, who: str, response: str) -> None:
    sender_id = people[who].wecom_id if who in people else "stranger-x"
    messages, _ = run_action(ActionShelfAskAdvisor(), make_tracker(sender_id, "第1款我想买", "shelf_ask_advisor",
                                                                   slots={"shelf_products": ["WM365"]}))
    assert responses(messages) == [response]


def test_every_response_the_shelf_uses_exists_in_the_domain() -> None:
    root = Path(__file__).resolve().parents[2]
    used = set(re.findall(r'"(utter_[a-z_]+)"', (root / "actions" / "client" / "shelf.py").read_text(encoding="utf-8")))
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))["responses"]
    assert {"utter_shelf_list", "utter_shelf_ask_sent"} <= used and used - set(domain) == set()

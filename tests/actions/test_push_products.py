"""actions/push.py and actions/push_replies.py for pushes of products: a single product, insurance with its 犹豫期 on
the preview, the card and the confirmation, an ad-hoc mix, and shares that do not add up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from actions.push_replies import ActionConfirmPush
from bank.db import session_scope
from bank.models import Client, ModelPortfolio, PortfolioPush
from bank.notifications import messages_for
from tests.actions.kit import make_tracker, run_action
from tests.actions.test_push import client_row, preview, send
from tests.services.push_cast import Cast


@pytest.fixture
def env(bank_env: str) -> str:
    return bank_env


@pytest.fixture
def people(push_cast: Cast) -> Cast:
    return push_cast


def push_and_send(env: str, text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    messages, slots = preview(env, text)
    assert slots.get("push_awaiting") is True, messages
    return messages, slots


def test_a_single_product_is_previewed_and_sent_as_a_product(env: str, people: Cast) -> None:
    client = client_row(env, people.suitable[0])
    messages, slots = push_and_send(env, f"把稳健添利90天推给{client.name}尾号{client.phone[-4:]}，每人2万")  # type: ignore[index]
    assert messages[0]["text"].startswith("稳健添利90天理财（风险等级R2），每位客户20,000.00元")
    assert slots["push_client_ids"] == [client.id]
    assert "已把稳健添利90天理财推送给1位客户" in send(slots)[0]["text"]
    with session_scope(env) as session:
        note = messages_for(session, str(client.wecom_external_userid), kind="portfolio_push")[-1]
        assert note.card is not None and note.card["title"] == "产品推荐：稳健添利90天理财"
        kind = session.scalar(select(ModelPortfolio.kind).where(ModelPortfolio.id == slots["push_portfolio_id"]))
        assert kind == "single"


def test_insurance_states_its_cooling_off_on_the_preview_the_card_and_the_confirmation(env: str, people: Cast) -> None:
    client = client_row(env, people.suitable[0])
    messages, slots = push_and_send(env, f"把福寿康宁重疾险推荐给{client.name}尾号{client.phone[-4:]}，保费5000")  # type: ignore[index]
    assert "犹豫期15天，期间可全额退保" in messages[0]["text"] and "5,000.00元" in messages[0]["text"]
    send(slots)
    with session_scope(env) as session:
        note = messages_for(session, str(client.wecom_external_userid), kind="portfolio_push")[-1]
        assert note.card is not None and note.card["title"] == "保险推荐：福寿康宁重疾险"
        assert "犹豫期15天" in note.text and "金额即保费" in note.text
        task = session.scalar(select(PortfolioPush.task_id).where(PortfolioPush.client_id == client.id))
    tracker = make_tracker(str(client.wecom_external_userid), f"/confirm_push{json.dumps({'push_task': task})}",
                           "confirm_push", slots={"role": "client"}, entities=[{"entity": "push_task", "value": task}])
    answer = run_action(ActionConfirmPush(), tracker)[0]
    assert answer[0]["response"] == "utter_push_confirmed" and "犹豫期15天，期间可全额退保" in answer[0]["orders"]


def test_an_ad_hoc_mix_and_shares_that_do_not_add_up(env: str, people: Cast) -> None:
    client: Client = client_row(env, people.suitable[0])
    named = f"{client.name}尾号{client.phone[-4:]}"  # type: ignore[index]
    messages, slots = push_and_send(env, f"给{named}推远航纯债和天天利各一半，每人2万")
    assert messages[0]["text"].startswith("远航纯债债券A50%+天天利现金管理50%（最高风险R2）")
    messages, slots = preview(env, f"给{named}推远航纯债和天天利，70%和20%")
    assert "加起来是90%" in messages[0]["text"] and "push_awaiting" not in slots

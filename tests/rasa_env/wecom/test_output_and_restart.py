"""Output channels write the outbox (never WeCom), and the 微信客服 cursor in the bank database survives a
restart: run in the Rasa environment against a bank migrated by the main one."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.wecom import WeComOutput
from bot.channels.wecom_kf import WeComKfInput, WeComKfOutput
from tests.rasa_env.wecom.conftest import migrated_bank
from tests.wecom_peer.fake_api import FakeWeCom
from wecom.api import WeComAPIError
from wecom.inbox import Inbox
from wecom.outbox import has_replies
from wecom.settings import WeComSettings
from wecom.tables import inbox as inbox_table
from wecom.tables import notifications

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeCom]:
    server = FakeWeCom().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bank_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_bank(tmp_path_factory.mktemp("bank"))


def settings_for(fake: FakeWeCom, bank_url: str, secret: str = "app-secret") -> WeComSettings:
    return WeComSettings(corp_id=fake.corp_id, secret=secret, token="t", aes_key=AES_KEY, agent_id=7,
                         api_base=fake.api_base, database_url=bank_url)


def outbox(bank_url: str, recipient: str) -> list[dict[str, Any]]:
    with Inbox.shared(bank_url).engine.connect() as conn:
        rows = conn.execute(select(notifications).where(notifications.c.recipient == recipient)
                            .order_by(notifications.c.id)).mappings().all()
    return [dict(row) for row in rows]


def test_app_output_writes_final_bodies_to_the_outbox_in_order(fake: FakeWeCom, bank_url: str) -> None:
    output = WeComOutput(Inbox.shared(bank_url).engine, agent_id=7, source="app:m1")

    async def run() -> None:
        await output.send_text_message("u1", "第一句话很长。" * 200)
        await output.send_text_with_buttons("u1", "请选择\n说明", [{"title": "体检", "payload": "/check"}])
        await output.send_text_with_buttons("u1", "菜单", [{"title": f"项{i}", "payload": f"/p{i}"} for i in range(8)])
        await output.send_image_url("u1", fake.url + "/image.png")
        await output.send_custom_json("u1", {"msgtype": "markdown", "markdown": {"content": "**好**" * 600}})

    asyncio.run(run())
    rows = outbox(bank_url, "u1")
    sent = [row["payload"] for row in rows]
    kinds = [body["msgtype"] for body in sent]
    assert kinds[-4:] == ["template_card", "text", "image", "markdown"]
    assert all(kind == "text" for kind in kinds[:-4]) and 2 <= len(kinds[:-4]) <= 4
    assert sent[-4]["template_card"]["button_list"][0]["key"] == "/check"
    assert "8. 项7" in sent[-3]["text"]["content"]
    assert sent[-2]["image"] == {"url": fake.url + "/image.png"}  # the sender uploads it
    assert len(sent[-1]["markdown"]["content"].encode()) <= 2048
    assert all(body["agentid"] == 7 and body["touser"] == "u1" for body in sent)
    assert {(row["path"], row["state"], row["source"], row["priority"]) for row in rows} == {
        ("message/send", "pending", "app:m1", 0)}
    assert output.sent == len(rows) and fake.sent(to="u1") == []  # nothing went to WeCom from here


def test_a_turns_replies_are_stored_together_or_not_at_all(bank_url: str) -> None:
    """A turn's output keeps its replies until the turn ends: a process killed between two replies leaves none,
    so the inbox worker replays the whole turn instead of taking the half written for the whole answer."""
    engine = Inbox.shared(bank_url).engine
    dying = WeComOutput(engine, agent_id=7, source="app:m-dies", hold=True)
    finishing = WeComOutput(engine, agent_id=7, source="app:m-ends", hold=True)

    async def run() -> None:
        await dying.send_text_message("u-hold", "好的，我们开始财富体检。")
        await dying.send_text_message("u-hold", "请问您今年多大？")  # …and the process dies here: no flush
        await finishing.send_text_message("u-hold", "第一句")
        await finishing.send_text_message("u-hold", "第二句")
        assert outbox(bank_url, "u-hold") == []  # nothing before the turn has ended
        await finishing.flush()

    asyncio.run(run())
    rows = outbox(bank_url, "u-hold")
    assert [(row["source"], row["text"]) for row in rows] == [("app:m-ends", "第一句"), ("app:m-ends", "第二句")]
    assert dying.sent == 2 and finishing.sent == 2
    assert not has_replies(engine, "app:m-dies") and has_replies(engine, "app:m-ends")


def test_kf_output_shapes(bank_url: str) -> None:
    output = WeComKfOutput(Inbox.shared(bank_url).engine, "wkKF")

    async def run() -> None:
        await output.send_text_with_buttons("wm1", "请选择", [{"title": "体检", "payload": "/check"}])
        await output.send_custom_json("wm1", {"link": {"title": "产品说明", "url": "https://bank.example/p"}})

    asyncio.run(run())
    menu, link = (row["payload"] for row in outbox(bank_url, "wm1"))
    assert menu["msgmenu"]["list"][0]["click"] == {"id": "/check", "content": "体检"}
    assert link["msgtype"] == "link" and link["open_kfid"] == "wkKF"
    assert {row["path"] for row in outbox(bank_url, "wm1")} == {"kf/send_msg"}


def stored_texts(bank_url: str, sender: str) -> list[str]:
    with Inbox.shared(bank_url).engine.connect() as conn:
        return list(conn.execute(select(inbox_table.c.text).where(inbox_table.c.sender == sender)
                                 .order_by(inbox_table.c.id)).scalars())


def test_kf_sync_stores_each_message_once_across_a_restart(fake: FakeWeCom, bank_url: str) -> None:
    fake.reset()
    for text in ("一", "二"):
        fake.add_kf_message("wkRESTART", "wmA", text)
    WeComKfInput(settings_for(fake, bank_url, "kf-secret")).sync("wkRESTART", "tok")
    assert stored_texts(bank_url, "wmA") == ["一", "二"]
    fake.add_kf_message("wkRESTART", "wmA", "三")
    again = WeComKfInput(settings_for(fake, bank_url, "kf-secret"))  # a new process: only the cursor remains
    again.sync("wkRESTART", "tok")
    again.inbox.save_cursor("wkRESTART", "")  # even a lost cursor re-reads without storing anything twice
    again.sync("wkRESTART", "tok")
    assert stored_texts(bank_url, "wmA") == ["一", "二", "三"]
    assert again.inbox.cursor("wkRESTART") == "3"


def test_kf_sync_failure_keeps_the_cursor_and_an_expired_token_is_dropped(fake: FakeWeCom, bank_url: str) -> None:
    fake.reset()
    fake.add_kf_message("wkFAIL", "wmB", "你好")
    channel = WeComKfInput(settings_for(fake, bank_url, "kf-secret"))
    fake.inject("kf/sync_msg", 500)
    with pytest.raises(WeComAPIError):  # transient: the notice stays pending and the worker tries again
        channel.sync("wkFAIL", "tok")
    assert stored_texts(bank_url, "wmB") == [] and channel.inbox.cursor("wkFAIL") == ""
    channel.sync("wkFAIL", "tok")
    assert stored_texts(bank_url, "wmB") == ["你好"]
    fake.add_kf_message("wkFAIL", "wmB", "再见")
    fake.inject("kf/sync_msg", 95007)  # the notice's sync token has expired: read on without it
    channel.sync("wkFAIL", "tok")
    assert stored_texts(bank_url, "wmB") == ["你好", "再见"] and channel.inbox.cursor("wkFAIL") == "2"
    assert "token" not in fake.sent("kf/sync_msg")[-1]


def test_kf_events_welcome_once_and_mark_failed_sends(fake: FakeWeCom, bank_url: str) -> None:
    fake.reset()
    channel = WeComKfInput(settings_for(fake, bank_url, "kf-secret"))
    engine = channel.inbox.engine
    with engine.begin() as conn:
        conn.execute(notifications.insert().values(
            recipient="wmE", kind="reply", text="好", created_at=dt.datetime.now(),
            state="sent", attempts=1, priority=0, path="kf/send_msg", external_id="WXFAIL"))
    welcome = {"msgid": "ev1", "open_kfid": "wkEV", "msgtype": "event", "origin": 4,
               "event": {"event_type": "enter_session", "external_userid": "wmE", "welcome_code": "WC1"}}
    failed = {"msgid": "ev2", "open_kfid": "wkEV", "msgtype": "event", "origin": 4,
              "event": {"event_type": "msg_send_fail", "external_userid": "wmE", "fail_msgid": "WXFAIL",
                        "fail_type": 4}}
    for item in (welcome, failed, welcome, failed):  # a page read twice
        channel._store(item)
    rows = outbox(bank_url, "wmE")
    assert [(r["path"], r["state"]) for r in rows] == [("kf/send_msg", "dead"), ("kf/send_msg_on_event", "pending")]
    assert rows[0]["error"].endswith("fail_type=4") and rows[1]["payload"]["code"] == "WC1"


def test_the_bots_link_card_becomes_a_text_card_or_a_kf_link(bank_url: str) -> None:
    card = {"type": "card", "title": "财富体检建议书（王**）", "description": "可直接转发给客户",
            "url": "https://bank.example/proposals/tok", "button_text": "查看建议书"}
    engine = Inbox.shared(bank_url).engine
    asyncio.run(WeComOutput(engine, agent_id=7).send_custom_json("u-card", card))
    asyncio.run(WeComKfOutput(engine, "wkKF").send_custom_json("wm-card", card))
    (app,), (kf,) = ([row["payload"] for row in outbox(bank_url, who)] for who in ("u-card", "wm-card"))
    assert app["msgtype"] == "textcard" and app["textcard"]["url"] == card["url"]
    assert app["textcard"]["btntxt"] == "查看建议" and app["textcard"]["title"] == card["title"]  # 4 characters
    assert kf["msgtype"] == "link" and kf["link"]["url"] == card["url"] and kf["link"]["title"] == card["title"]

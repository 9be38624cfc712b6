"""Output channels against the fake API (in process), and a 微信客服 cursor that survives a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.wecom import WeComOutput
from bot.channels.wecom_kf import WeComKfInput, WeComKfOutput
from tests.wecom_peer.fake_api import FakeWeCom
from wecom.api import WeComAPI
from wecom.sender import SendQueue
from wecom.settings import WeComSettings
from wecom.store import MemoryStore

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeCom]:
    server = FakeWeCom().start()
    yield server
    server.stop()


def settings_for(fake: FakeWeCom, secret: str = "app-secret", state_dir: Path | None = None) -> WeComSettings:
    return WeComSettings(corp_id=fake.corp_id, secret=secret, token="t", aes_key=AES_KEY, agent_id=7,
                         api_base=fake.api_base, state_dir=str(state_dir or "var/wecom"))


def test_app_output_shapes(fake: FakeWeCom) -> None:
    fake.reset()
    output = WeComOutput(SendQueue(WeComAPI(settings_for(fake), MemoryStore())), agent_id=7)

    async def run() -> None:
        await output.send_text_message("u1", "第一句话很长。" * 200)
        await output.send_text_with_buttons("u1", "请选择\n说明", [{"title": "体检", "payload": "/check"}])
        await output.send_text_with_buttons("u1", "菜单", [{"title": f"项{i}", "payload": f"/p{i}"} for i in range(8)])
        await output.send_image_url("u1", fake.url + "/image.png")
        await output.send_custom_json("u1", {"msgtype": "markdown", "markdown": {"content": "**好**" * 600}})

    asyncio.run(run())
    sent = fake.sent(to="u1")
    kinds = [body["msgtype"] for body in sent]
    assert kinds[-4:] == ["template_card", "text", "image", "markdown"]
    assert all(kind == "text" for kind in kinds[:-4]) and 2 <= len(kinds[:-4]) <= 4
    assert sent[-4]["template_card"]["button_list"][0]["key"] == "/check"
    assert "8. 项7" in sent[-3]["text"]["content"]
    assert sent[-2]["image"]["media_id"].startswith("MEDIA") and fake.sent("media/upload")
    assert len(sent[-1]["markdown"]["content"].encode()) <= 2048
    assert all(body["agentid"] == 7 for body in sent)


def test_kf_output_shapes(fake: FakeWeCom) -> None:
    fake.reset()
    output = WeComKfOutput(SendQueue(WeComAPI(settings_for(fake, "kf-secret"), MemoryStore())), "wkKF")

    async def run() -> None:
        await output.send_text_with_buttons("wm1", "请选择", [{"title": "体检", "payload": "/check"}])
        await output.send_custom_json("wm1", {"link": {"title": "产品说明", "url": "https://bank.example/p"}})

    asyncio.run(run())
    menu, link = fake.sent("kf/send_msg", to="wm1")
    assert menu["msgmenu"]["list"][0]["click"] == {"id": "/check", "content": "体检"}
    assert link["msgtype"] == "link" and link["open_kfid"] == "wkKF"


def test_kf_cursor_survives_a_restart(fake: FakeWeCom, tmp_path: Path) -> None:
    fake.reset()
    for text in ("一", "二"):
        fake.add_kf_message("wkRESTART", "wmA", text)
    seen: list[str] = []

    async def collect(message: UserMessage) -> Any:
        seen.append(message.text or "")

    def fresh_channel() -> WeComKfInput:
        channel = WeComKfInput(settings_for(fake, "kf-secret", tmp_path))
        channel.store = MemoryStore()  # a restart forgets in-memory de-duplication: only the cursor remains
        return channel

    asyncio.run(fresh_channel().sync("wkRESTART", "tok", collect))
    assert seen == ["一", "二"]
    fake.add_kf_message("wkRESTART", "wmA", "三")
    asyncio.run(fresh_channel().sync("wkRESTART", "tok", collect))
    assert seen == ["一", "二", "三"]


def test_kf_sync_failure_keeps_the_cursor(fake: FakeWeCom, tmp_path: Path) -> None:
    fake.reset()
    fake.add_kf_message("wkFAIL", "wmB", "你好")
    seen: list[str] = []

    async def collect(message: UserMessage) -> Any:
        seen.append(message.text or "")

    channel = WeComKfInput(settings_for(fake, "kf-secret", tmp_path))
    channel.store = MemoryStore()
    fake.inject("kf/sync_msg", 500, 45009)  # transient: retried within the same sync
    asyncio.run(channel.sync("wkFAIL", "tok", collect))
    assert seen == ["你好"]
    fake.add_kf_message("wkFAIL", "wmB", "再见")
    fake.inject("kf/sync_msg", 95007)  # permanent (e.g. an expired sync token): the cursor stays put
    asyncio.run(channel.sync("wkFAIL", "tok", collect))
    assert seen == ["你好"] and channel.cursors.get("wkFAIL") == "1"
    asyncio.run(channel.sync("wkFAIL", "tok", collect))
    assert seen == ["你好", "再见"]

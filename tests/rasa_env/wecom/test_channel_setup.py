"""Without WeCom settings Rasa still starts: the channels load from credentials.yml and answer 503."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rasa.core.channels.rest import RestInput
from rasa.core.run import create_http_input_channels
from sanic import Sanic

from bot.channels.web import WebChatInput
from bot.channels.wecom import WeComInput, user_text
from bot.channels.wecom_kf import WeComKfInput
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[3]
WECOM_VARIABLES = ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_KF_SECRET",
                   "WECOM_KF_TOKEN", "WECOM_KF_AES_KEY")


@pytest.fixture()
def no_wecom(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in WECOM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_repository_credentials_load_without_wecom_settings(no_wecom: None) -> None:
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    kinds = {type(channel) for channel in channels}
    assert kinds == {RestInput, WebChatInput, WeComInput, WeComKfInput}
    for channel in channels:
        if isinstance(channel, (WeComInput, WeComKfInput)):
            assert channel.settings is None and channel.get_output_channel() is None


def status_of(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_unconfigured_channels_answer_503(no_wecom: None) -> None:
    async def run() -> list[int]:
        app = Sanic("wecom_disabled_test")

        async def never(message: object) -> None:
            raise AssertionError("an unconfigured channel must not reach Rasa")

        for channel in (WeComInput.from_credentials(None), WeComKfInput.from_credentials(None)):
            app.blueprint(channel.blueprint(never), url_prefix=f"/webhooks/{channel.url_prefix()}")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        assert server is not None
        await server.startup()
        loop = asyncio.get_running_loop()
        try:
            base = f"http://127.0.0.1:{port}/webhooks"
            return [await loop.run_in_executor(None, status_of, f"{base}/{name}/?echostr=x", body)
                    for name in ("wecom", "wecom_kf") for body in (None, b"<xml/>")]
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(run()) == [503, 503, 503, 503]


def test_user_text_takes_texts_and_clicks_only() -> None:
    assert user_text({"MsgType": "text", "Content": "你好"}) == "你好"
    assert user_text({"MsgType": "event", "Event": "template_card_event", "EventKey": "/help"}) == "/help"
    assert user_text({"MsgType": "event", "Event": "enter_agent"}) is None
    assert user_text({"MsgType": "voice"}) is None


def test_wecom_settings_without_a_bank_database_disable_the_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are stored before they are acknowledged: with no database to store them, no channel."""
    for name, value in {"WECOM_CORP_ID": "wwx", "WECOM_SECRET": "s", "WECOM_TOKEN": "t", "WECOM_KF_SECRET": "k",
                        "WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert WeComInput.from_credentials(None).settings is None
    assert WeComKfInput.from_credentials(None).settings is None
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/unused-bank.db")
    assert WeComInput.from_credentials(None).settings is not None

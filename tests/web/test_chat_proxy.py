"""The chat proxy forwards to Rasa's web chat channel as the session's sender, signed, and passes the messages
back."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from tests.servers import Service, free_port, start_web
from tests.web.conftest import RICH_REPLY, SESSION_SECRET, WEB_CHANNEL_SECRET, StubRasa, signed, signed_in
from web.routers.chat import sign
from web.settings import Settings


class TestChatProxy:
    def test_needs_an_identity(self, client: httpx.Client, stub_rasa: StubRasa) -> None:
        before = len(stub_rasa.received)
        assert client.post("/api/chat", json={"message": "你好"}).status_code == 401
        assert len(stub_rasa.received) == before

    def test_forwards_as_the_signed_in_sender_and_returns_every_message(
        self, client: httpx.Client, stub_rasa: StubRasa
    ) -> None:
        signed_in(client, "zhangmin")
        answer = client.post("/api/chat", json={"message": "你好", "sender": "chenjing"})
        assert answer.status_code == 200  # the stub answers 401 to anything not validly signed
        assert [{k: v for k, v in m.items() if k != "recipient_id"} for m in answer.json()] == RICH_REPLY
        last = stub_rasa.received[-1]
        assert last == {"path": "/webhooks/webchat/webhook", "sender": "zhangmin", "message": "你好"}

    def test_the_request_id_from_the_edge_reaches_rasa_and_comes_back(
        self, client: httpx.Client, stub_rasa: StubRasa
    ) -> None:
        signed_in(client, "zhangmin")
        edge_id = "0123456789abcdef0123456789abcdef"
        answer = client.post("/api/chat", json={"message": "你好"}, headers={"X-Request-ID": edge_id})
        assert answer.status_code == 200 and answer.headers["x-request-id"] == edge_id
        assert stub_rasa.request_ids[-1] == edge_id
        forged = client.post("/api/chat", json={"message": "你好"}, headers={"X-Request-ID": "bad id; {x}"})
        new_id = forged.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", new_id) and stub_rasa.request_ids[-1] == new_id

    def test_rasa_failure_is_a_502_with_a_chinese_message(self, client: httpx.Client) -> None:
        signed_in(client, "zhangmin")
        answer = client.post("/api/chat", json={"message": "boom"})
        assert answer.status_code == 502 and "稍后再试" in answer.json()["detail"]

    def test_empty_message_is_422_naming_the_field(self, client: httpx.Client) -> None:
        signed_in(client, "zhangmin")
        answer = client.post("/api/chat", json={"message": ""})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "message"]


class TestSignature:
    """`sign` makes the header Rasa's channel checks: `t=<unix seconds>,s=<hex HMAC-SHA256>`."""

    def test_format_and_inputs(self) -> None:
        now = int(time.time())
        header = sign("k" * 40, "zhangmin", now, "你好")
        stamp, mac = header.split(",")
        assert stamp == f"t={now}" and re.fullmatch(r"s=[0-9a-f]{64}", mac)
        for other in (sign("x" * 40, "zhangmin", now, "你好"), sign("k" * 40, "zhangmi", now, "你好"),
                      sign("k" * 40, "zhangmin", now + 1, "你好"), sign("k" * 40, "zhangmin", now, "你好!")):
            assert other != header

    def test_the_stub_refuses_what_the_real_channel_refuses(self) -> None:
        body = {"sender": "zhangmin", "message": "你好"}
        assert not signed("", body)
        assert not signed(sign("another-secret", "zhangmin", int(time.time()), "你好"), body)


def chat_web(demo_db_url: str, rasa_url: str, channel_secret: str) -> Iterator[Service]:
    """A web app of its own for one module's tests: Rasa at `rasa_url`, the web chat signed with `channel_secret`."""
    service = start_web(env={"DATABASE_URL": demo_db_url, "RASA_URL": rasa_url, "SESSION_SECRET": SESSION_SECRET,
                             "WEB_CHANNEL_SECRET": channel_secret})
    yield service
    service.stop()


def post_as(web: Service, sender: str, messages: list[str]) -> list[httpx.Response]:
    """Sign in as `sender` and post each message to the chat."""
    with httpx.Client(base_url=web.url, timeout=30.0) as http:
        signed_in(http, sender)
        return [http.post("/api/chat", json={"message": message}) for message in messages]


@pytest.fixture(scope="module")
def web_without_channel_secret(demo_db_url: str, stub_rasa: StubRasa) -> Iterator[Service]:
    yield from chat_web(demo_db_url, stub_rasa.url, "")


def test_without_the_channel_secret_nothing_is_sent_and_the_answer_is_503(
    web_without_channel_secret: Service, stub_rasa: StubRasa
) -> None:
    before = len(stub_rasa.received)
    [answer] = post_as(web_without_channel_secret, "zhangmin", ["你好"])
    assert answer.status_code == 503 and "稍后再试" in answer.json()["detail"]
    assert len(stub_rasa.received) == before


@pytest.fixture(scope="module")
def web_with_two_instances(demo_db_url: str, stub_rasa: StubRasa) -> Iterator[Service]:
    """RASA_URL naming an instance that is down (nothing listens on its port) and the stub."""
    down = f"http://127.0.0.1:{free_port()}"
    yield from chat_web(demo_db_url, f"{down}, {stub_rasa.url}/", WEB_CHANNEL_SECRET)


def test_with_several_instances_each_message_reaches_one_that_is_up(
    web_with_two_instances: Service, stub_rasa: StubRasa
) -> None:
    before = len(stub_rasa.received)
    answers = post_as(web_with_two_instances, "zhangmin", [f"第{n}条" for n in range(4)])
    assert [a.status_code for a in answers] == [200] * 4  # whichever instance a message starts with
    assert [m["message"] for m in stub_rasa.received[before:]] == [f"第{n}条" for n in range(4)]  # each once


@pytest.mark.parametrize("value", ["", "ftp://127.0.0.1:5005", "http://127.0.0.1:5005,127.0.0.1:5006", " , "])
def test_rasa_url_must_be_http_addresses(value: str) -> None:
    with pytest.raises(ValidationError, match="RASA_URL"):
        Settings(rasa_url=value)
    assert Settings(rasa_url="http://a:5005/, https://b:5006").rasa_urls == ["http://a:5005", "https://b:5006"]

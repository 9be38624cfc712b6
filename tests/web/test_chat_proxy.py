"""The chat proxy forwards to Rasa's REST channel as the session's sender and passes the messages back."""

from __future__ import annotations

import httpx

from tests.web.conftest import RICH_REPLY, StubRasa, signed_in


class TestChatProxy:
    def test_needs_an_identity(self, client: httpx.Client) -> None:
        assert client.post("/api/chat", json={"message": "你好"}).status_code == 401

    def test_forwards_as_the_signed_in_sender_and_returns_every_message(
        self, client: httpx.Client, stub_rasa: StubRasa
    ) -> None:
        signed_in(client, "zhangmin")
        answer = client.post("/api/chat", json={"message": "你好", "sender": "chenjing"})
        assert answer.status_code == 200
        assert [{k: v for k, v in m.items() if k != "recipient_id"} for m in answer.json()] == RICH_REPLY
        last = stub_rasa.received[-1]
        assert last == {"path": "/webhooks/rest/webhook", "sender": "zhangmin", "message": "你好"}

    def test_rasa_failure_is_a_502_with_a_chinese_message(self, client: httpx.Client) -> None:
        signed_in(client, "zhangmin")
        answer = client.post("/api/chat", json={"message": "boom"})
        assert answer.status_code == 502 and "稍后再试" in answer.json()["detail"]

    def test_empty_message_is_422_naming_the_field(self, client: httpx.Client) -> None:
        signed_in(client, "zhangmin")
        answer = client.post("/api/chat", json={"message": ""})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "message"]

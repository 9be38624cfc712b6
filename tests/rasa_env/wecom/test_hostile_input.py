"""Attacks on the callback, sent for real to the Rasa process: XML bombs in any encoding and bodies past the
limit, with or without Content-Length. Each is refused before it reaches Rasa, and the server keeps serving."""

from __future__ import annotations

import json
import select
import socket
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sanic import Sanic

from bot.channels._callback import cap_request_size
from tests.rasa_env.wecom.conftest import Stack, responses
from tests.servers import wait_for
from wecom.settings import WeComSettings

LIMIT = WeComSettings.max_body_bytes
LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
# DTD, what AgentID then holds: a billion laughs, a quadratic blow-up (5.6 MB from 23 KB), and a harmless
# entity, which an XML parser that processes DTDs would accept (so a refusal here is the DTD rule, not luck)
PAYLOADS = {
    "billion laughs": (f'<!DOCTYPE xml [<!ENTITY lol0 "lol">{LAUGHS}]>', "&lol9;"),
    "quadratic blow-up": (f'<!DOCTYPE xml [<!ENTITY big "{"a" * 8000}">]>', "&big;" * 700),
    "harmless entity": ('<!DOCTYPE xml [<!ENTITY agent "1000002">]>', "&agent;"),
}
REFUSAL = "DTDs are not accepted"

@dataclass
class RawAnswer:
    status: int | None
    sent: int  # body bytes the server let us send
    seconds: float


def new_user() -> str:
    return "atk" + uuid.uuid4().hex[:10]


def raw_post(url: str, head: dict[str, str], parts: Iterator[bytes]) -> RawAnswer:
    """POST over a plain socket, sending `parts` until the server answers or hangs up; then read its status.

    A client that stops once answered is what the limit must cope with; one that keeps pushing runs into the
    closed connection, which the `sent` count shows.
    """
    target = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    sent = 0
    with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
        lines = [f"POST {target.path}?{target.query} HTTP/1.1", f"Host: {target.hostname}"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            for part in parts:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered: stop sending
                sock.sendall(part)
                sent += len(part)
        except OSError:  # reset or broken pipe: the server closed the connection
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return RawAnswer(status, sent, time.perf_counter() - started)


def chunked(first: bytes, filler: bytes, total: int) -> Iterator[bytes]:
    """Chunked encoding of `first` then `filler` repeated up to about `total` bytes, and the end chunk."""
    yield f"{len(first):x}\r\n".encode() + first + b"\r\n"
    for _ in range(total // len(filler)):
        yield f"{len(filler):x}\r\n".encode() + filler + b"\r\n"
    yield b"0\r\n\r\n"


def callback_url(stack: Stack, query: dict[str, str]) -> str:
    return f"{stack.app.url}?{urllib.parse.urlencode(query)}"


def user_turns(stack: Stack, sender: str) -> int:
    """User messages Rasa's tracker holds for `sender` (through the HTTP API and its token)."""
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(stack.rasa.ready_url).query)["token"][0]
    url = f"{stack.rasa.url}/conversations/{sender}/tracker?token={token}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        events = json.load(answer)["events"] or []
    return sum(1 for event in events if event.get("event") == "user")


def assert_untouched(stack: Stack, user: str) -> None:
    """Nothing reached Rasa for `user` and the server still verifies a URL."""
    time.sleep(1.5)
    assert stack.fake.sent(to=user) == []
    assert user_turns(stack, user) == 0
    assert stack.app.verify_url("still-alive").body == b"still-alive"


def envelope(stack: Stack, user: str) -> tuple[str, dict[str, str]]:
    """A correctly signed envelope carrying a greeting from `user`: only the attack around it should fail."""
    body, query = stack.app.signed(stack.app.text_xml(user, "你好"))
    return body.decode(), query


def refusals(stack: Stack) -> int:
    """How many callbacks the Rasa log shows refused for carrying a DTD."""
    return stack.log_path.read_text(encoding="utf-8", errors="replace").count(REFUSAL)


def hostile_envelope(stack: Stack, user: str, payload: str, declaration: str = "") -> tuple[str, dict[str, str]]:
    """A signed envelope for a greeting from `user`, with `payload`'s DTD before it and its reference inside."""
    text, query = envelope(stack, user)
    dtd, reference = PAYLOADS[payload]
    text = text.replace("<AgentID><![CDATA[0]]></AgentID>", f"<AgentID>{reference}</AgentID>")
    return declaration + dtd + text, query


@pytest.mark.slow
class TestXMLBombs:
    @pytest.mark.parametrize(("payload", "encoding"), [
        ("billion laughs", "utf-16"), ("billion laughs", "utf-16-le"), ("billion laughs", "utf-32"),
        ("billion laughs", "utf-8"), ("quadratic blow-up", "utf-16"), ("harmless entity", "utf-16"),
        ("harmless entity", "utf-16-be"), ("harmless entity", "utf-32-le"),
    ])
    def test_a_dtd_around_a_signed_envelope_is_400(self, stack: Stack, payload: str, encoding: str) -> None:
        user = new_user()
        codec = encoding.upper()[:6]  # the declaration names the family: UTF-16, UTF-32, UTF-8
        text, query = hostile_envelope(stack, user, payload, f'<?xml version="1.0" encoding="{codec}"?>')
        before = refusals(stack)
        answer = stack.app.post_raw(query, text.encode(encoding))
        assert answer.status == 400 and answer.latency_s < 2
        assert refusals(stack) == before + 1
        assert_untouched(stack, user)

    def test_a_declaration_that_lies_about_the_encoding_changes_nothing(self, stack: Stack) -> None:
        user = new_user()
        text, query = hostile_envelope(stack, user, "harmless entity", '<?xml version="1.0" encoding="UTF-16"?>')
        before = refusals(stack)
        assert stack.app.post_raw(query, text.encode("utf-8")).status == 400
        assert refusals(stack) == before + 1
        assert_untouched(stack, user)

    def test_a_signed_message_with_a_bomb_inside_is_400(self, stack: Stack) -> None:
        user = new_user()
        dtd, reference = PAYLOADS["billion laughs"]
        plaintext = stack.app.text_xml(user, "你好").replace("<xml>", dtd + "<xml>", 1)
        body, query = stack.app.signed(plaintext.replace("<![CDATA[你好]]>", reference))
        before = refusals(stack)
        assert stack.app.post_raw(query, body).status == 400
        assert refusals(stack) == before + 1
        assert_untouched(stack, user)


@pytest.mark.slow
class TestBodyLimit:
    def test_content_length_over_the_limit_is_413_before_the_body_is_read(self, stack: Stack) -> None:
        user = new_user()
        text, query = envelope(stack, user)
        declared = 50_000_000
        parts = iter([text.encode()] + [b" " * 65536] * (declared // 65536))
        answer = raw_post(callback_url(stack, query), {"Content-Type": "text/xml", "Content-Length": str(declared)},
                          parts)
        assert answer.status == 413
        assert answer.sent < declared // 4  # answered long before the body could have been buffered
        assert_untouched(stack, user)

    def test_a_signed_callback_padded_past_the_limit_is_413(self, stack: Stack) -> None:
        user = new_user()
        text, query = envelope(stack, user)
        assert stack.app.post_raw(query, text.encode() + b" " * LIMIT).status == 413
        assert_untouched(stack, user)

    def test_chunked_body_over_the_limit_is_413_and_the_server_stops_reading(self, stack: Stack) -> None:
        user = new_user()
        text, query = envelope(stack, user)
        total = 64_000_000
        answer = raw_post(callback_url(stack, query), {"Content-Type": "text/xml", "Transfer-Encoding": "chunked"},
                          chunked(text.encode(), b" " * 16384, total))
        assert answer.status == 413
        assert answer.sent < total // 4
        assert_untouched(stack, user)

    def test_one_huge_declared_chunk_is_413_at_once(self, stack: Stack) -> None:
        user = new_user()
        _, query = envelope(stack, user)
        parts = iter([b"10000000\r\n"] + [b" " * 65536] * 256)  # a 256 MB chunk
        answer = raw_post(callback_url(stack, query), {"Transfer-Encoding": "chunked"}, parts)
        assert answer.status == 413 and answer.sent < 16_000_000
        assert_untouched(stack, user)

    @pytest.mark.parametrize("framing", ["content-length", "chunked"])
    def test_the_rest_of_the_rasa_process_is_capped_too(self, stack: Stack, framing: str) -> None:
        user = new_user()
        body = json.dumps({"sender": user, "message": "你好" + " " * (2 * LIMIT)}).encode()
        url = f"{stack.rasa.url}/webhooks/rest/webhook"
        if framing == "chunked":
            answer = raw_post(url, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                              chunked(body[:100], body[100:1124], 20 * LIMIT))
        else:
            answer = raw_post(url, {"Content-Type": "application/json", "Content-Length": str(len(body))}, iter([body]))
        assert answer.status == 413
        assert user_turns(stack, user) == 0


@pytest.mark.slow
class TestStillServing:
    def test_a_chunked_callback_within_the_limit_is_answered(self, stack: Stack) -> None:
        user = new_user()
        text, query = envelope(stack, user)
        raw = text.encode()
        parts = iter([f"{len(raw[:40]):x}\r\n".encode() + raw[:40] + b"\r\n",
                      f"{len(raw[40:]):x}\r\n".encode() + raw[40:] + b"\r\n", b"0\r\n\r\n"])
        answer = raw_post(callback_url(stack, query), {"Content-Type": "text/xml", "Transfer-Encoding": "chunked"},
                          parts)
        assert answer.status == 200
        replies = wait_for(lambda: stack.fake.sent(to=user), what="the reply to a chunked callback")
        assert replies[0]["text"]["content"] in responses("utter_greet_unknown")

    def test_a_valid_callback_after_the_attacks_gets_its_reply(self, stack: Stack) -> None:
        user = new_user()
        assert [a.status for a in stack.app.deliver(stack.app.text_xml(user, "你好"))] == [200]
        replies = wait_for(lambda: stack.fake.sent(to=user), what="the greeting")
        assert replies[0]["text"]["content"] in responses("utter_greet_unknown")
        assert user_turns(stack, user) == 1


class TestProcessCap:
    """How the process-wide cap is chosen (no server needed)."""

    def test_the_largest_callback_limit_wins_over_sanics_100_mb(self) -> None:
        app = Sanic("cap_default_test")
        assert app.config.REQUEST_MAX_SIZE == 100_000_000
        cap_request_size(app, LIMIT)
        cap_request_size(app, 2 * LIMIT)  # a second channel with a larger limit must still get its bodies
        assert app.config.REQUEST_MAX_SIZE == 2 * LIMIT

    def test_sanic_request_max_size_in_the_environment_can_only_lower_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", "1000")
        lowered = Sanic("cap_env_low_test")
        cap_request_size(lowered, LIMIT)
        assert lowered.config.REQUEST_MAX_SIZE == 1000
        monkeypatch.setenv("SANIC_REQUEST_MAX_SIZE", str(10 * LIMIT))
        raised = Sanic("cap_env_high_test")
        cap_request_size(raised, LIMIT)
        assert raised.config.REQUEST_MAX_SIZE == LIMIT

"""The web chat channel (bot/channels/web.py) in the real Rasa, loaded from the production credentials file:
what the web app signs gets the bot's answer; an unsigned, wrongly keyed, tampered or stale request gets 401
and never reaches the tracker.

The web app (Python 3.11) and this channel (Python 3.10) each carry their own few lines of the signature
format; the first test sends through the real web app, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.rest import RestInput
from rasa.core.run import create_http_input_channels

from bot.channels.web import (
    REPLAY_WINDOW_S,
    SIGNATURE_HEADER,
    SignatureRefused,
    WebChatInput,
    sign,
    verify,
)
from bot.channels.wecom import WeComInput
from bot.channels.wecom_kf import WeComKfInput
from scripts.services import INTERNAL_SECRETS
from tests.rasa_env.wecom.conftest import build_demo_bank
from tests.servers import Service, start_action_server, start_rasa, start_web

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_CREDENTIALS = ROOT / "deploy" / "credentials.production.yml"
SECRET = INTERNAL_SECRETS["WEB_CHANNEL_SECRET"]  # what tests.servers gives Rasa and the web app alike
RASA_TOKEN = INTERNAL_SECRETS["RASA_AUTH_TOKEN"]
CHANNEL = "/webhooks/webchat/webhook"


@dataclass
class Stack:
    rasa: Service
    web: Service


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("webchat")
    bank_url = build_demo_bank(work)
    started: list[Service] = []
    try:
        started.append(actions := start_action_server(env={"DATABASE_URL": bank_url}))
        started.append(rasa := start_rasa(credentials=PRODUCTION_CREDENTIALS, action_url=actions.url, workdir=work))
        started.append(web := start_web(env={"DATABASE_URL": bank_url, "RASA_URL": rasa.url,
                                             "SESSION_SECRET": "webchat-test-session-secret"}))
        yield Stack(rasa=rasa, web=web)
    finally:
        for service in reversed(started):
            service.stop()


def post(url: str, body: object, headers: dict[str, str] | None = None,
         opener: urllib.request.OpenerDirector | None = None) -> tuple[int, Any]:
    """POST `body` as JSON: the status and the decoded answer (None when it is not JSON)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=120) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def user_texts(stack: Stack, sender: str) -> list[str]:
    """What the tracker holds as `sender`'s own messages."""
    url = f"{stack.rasa.url}/conversations/{sender}/tracker?token={RASA_TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        events = json.loads(answer.read())["events"]
    return [event.get("text") for event in events if event.get("event") == "user"]


def fresh_sender() -> str:
    return "webchat-test-" + uuid.uuid4().hex[:10]


def test_the_web_app_signs_what_the_channel_accepts(stack: Stack) -> None:
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    assert post(f"{stack.web.url}/api/session", {"sender_id": "zhangmin"}, opener=browser)[0] == 200
    status, answer = post(f"{stack.web.url}/api/chat", {"message": "你好", "sender": "chenjing"}, opener=browser)
    assert status == 200 and answer and any(m.get("text") for m in answer)
    assert {m["recipient_id"] for m in answer} == {"zhangmin"}
    assert "你好" in user_texts(stack, "zhangmin") and user_texts(stack, "chenjing") == []


def test_a_signed_message_gets_the_bots_answer_as_a_list(stack: Stack) -> None:
    sender = fresh_sender()
    status, answer = post(stack.rasa.url + CHANNEL, {"sender": sender, "message": "你好"},
                          {SIGNATURE_HEADER: sign(SECRET, sender, int(time.time()), "你好")})
    assert status == 200 and isinstance(answer, list) and any(m.get("text") for m in answer)
    assert {m["recipient_id"] for m in answer} == {sender}
    assert user_texts(stack, sender) == ["你好"]


def _unsigned(sender: str, message: str, now: int) -> dict[str, str]:
    return {}


def _wrong_key(sender: str, message: str, now: int) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign("not-the-" + SECRET, sender, now, message)}


def _signed_for_another_sender(sender: str, message: str, now: int) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(SECRET, sender + "-x", now, message)}


def _signed_for_another_message(sender: str, message: str, now: int) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(SECRET, sender, now, "你好")}


def _expired(sender: str, message: str, now: int) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(SECRET, sender, now - REPLAY_WINDOW_S - 30, message)}


def _from_the_future(sender: str, message: str, now: int) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(SECRET, sender, now + REPLAY_WINDOW_S + 30, message)}


def _malformed(sender: str, message: str, now: int) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(SECRET, sender, now, message).replace(",s=", ";s=")}


REFUSALS = [_unsigned, _wrong_key, _signed_for_another_sender, _signed_for_another_message, _expired,
            _from_the_future, _malformed]


@pytest.mark.parametrize("forge", REFUSALS, ids=[f.__name__.strip("_") for f in REFUSALS])
def test_refused_with_401_and_nothing_reaches_the_tracker(stack: Stack, forge: Any) -> None:
    sender, message = fresh_sender(), "帮我看看于蓉的画像"
    status, answer = post(stack.rasa.url + CHANNEL, {"sender": sender, "message": message},
                          forge(sender, message, int(time.time())))
    assert status == 401 and "于蓉" not in json.dumps(answer, ensure_ascii=False)
    assert user_texts(stack, sender) == [] and user_texts(stack, sender + "-x") == []


def test_claiming_a_known_advisor_without_a_signature_is_refused(stack: Stack) -> None:
    status, _ = post(stack.rasa.url + CHANNEL, {"sender": "zhangmin", "message": "本月出了多少建议书"})
    assert status == 401 and "本月出了多少建议书" not in user_texts(stack, "zhangmin")


def test_a_body_without_sender_or_message_or_with_a_lone_surrogate_is_400(stack: Stack) -> None:
    now = int(time.time())
    for body in ({"message": "你好"}, {"sender": "zhangmin"}, {"sender": "zhangmin", "message": 5}, ["x"],
                 {"sender": "zhangmin", "message": "\ud800"}):
        headers = {SIGNATURE_HEADER: sign(SECRET, "zhangmin", now, "你好")}
        assert post(stack.rasa.url + CHANNEL, body, headers)[0] == 400, body


def test_the_production_file_has_no_rest_channel(stack: Stack) -> None:
    assert post(stack.rasa.url + "/webhooks/rest/webhook", {"sender": "zhangmin", "message": "你好"})[0] == 404


class TestCredentials:
    def test_production_keeps_wecom_and_the_web_chat_and_drops_rest(self) -> None:
        kinds = {type(c) for c in create_http_input_channels(None, str(PRODUCTION_CREDENTIALS))}
        assert kinds == {WebChatInput, WeComInput, WeComKfInput}

    def test_the_demo_keeps_rest_beside_the_web_chat(self) -> None:
        kinds = {type(c) for c in create_http_input_channels(None, str(ROOT / "credentials.yml"))}
        assert {RestInput, WebChatInput} <= kinds


class TestVerify:
    NOW = 1_800_000_000

    def test_accepts_within_the_window_either_way(self) -> None:
        for skew in (0, REPLAY_WINDOW_S, -REPLAY_WINDOW_S):
            verify("k", sign("k", "zhangmin", self.NOW + skew, "你好"), "zhangmin", "你好", now=self.NOW)

    @pytest.mark.parametrize(("header", "reason"), [
        (None, "missing"), ("", "missing"), ("s=abc,t=1", "malformed"),
        (sign("k", "zhangmin", NOW + REPLAY_WINDOW_S + 1, "你好"), "replay window"),
        (sign("k", "zhangmin", NOW - REPLAY_WINDOW_S - 1, "你好"), "replay window"),
        (sign("K", "zhangmin", NOW, "你好"), "mismatch"),
        (sign("k", "zhangmin", NOW, "你好").upper(), "malformed"),
    ])
    def test_refuses(self, header: str | None, reason: str) -> None:
        with pytest.raises(SignatureRefused, match=reason):
            verify("k", header, "zhangmin", "你好", now=self.NOW)

    def test_the_separator_cannot_move_text_between_sender_and_message(self) -> None:
        assert sign("k", "a.b", self.NOW, "c") != sign("k", "a", self.NOW, "b.c")


def _status(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


# Run in a fresh interpreter: Sanic 21.12 rewrites its own class when an app starts ("touch-up"), and a second
# app started in the same process (tests/rasa_env/wecom/test_channel_setup.py does one) then fails to start.
DISABLED_SCRIPT = """
import asyncio, json, logging, time, urllib.error, urllib.request
from sanic import Sanic
from bot.channels.web import SIGNATURE_HEADER, WebChatInput, sign
from scripts.services import free_port
logging.basicConfig(level=logging.ERROR, format="LOG %(message)s")
channel = WebChatInput.from_credentials(None)
async def never(message):
    raise AssertionError("a disabled channel must not reach Rasa")
def status(url, body, headers):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
async def run():
    app = Sanic("webchat_disabled_test")
    app.blueprint(channel.blueprint(never), url_prefix="/webhooks/" + channel.url_prefix())
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    loop = asyncio.get_running_loop()
    url = "http://127.0.0.1:%d/webhooks/webchat/webhook" % port
    body = json.dumps({"sender": "zhangmin", "message": "你好"}).encode()
    signed = {SIGNATURE_HEADER: sign("", "zhangmin", int(time.time()), "你好")}
    try:
        return [await loop.run_in_executor(None, status, url, body, h) for h in ({}, signed)]
    finally:
        server.close()
        await server.wait_closed()
print("STATUSES", json.dumps(asyncio.run(run())))
"""


def test_without_the_secret_the_channel_answers_503_and_says_so_once() -> None:
    env = {k: v for k, v in os.environ.items() if k != "WEB_CHANNEL_SECRET"}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-c", DISABLED_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert "STATUSES [503, 503]" in run.stdout, run.stderr[-2000:]
    assert run.stderr.count(
        "LOG webchat channel disabled: WEB_CHANNEL_SECRET is not set; /webhooks/webchat/webhook answers 503") == 1

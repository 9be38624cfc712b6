"""Each attack of the security issue as a real HTTP request: against the production profile behind the edge
proxy (refused, and no trace in the bank or the outbox) and against the demo profile (what the demo allows).

The demo side uses the session's demo servers (tests/conftest.py) directly on loopback, as `make run` does.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, inspect, select, text

from bank.db import make_engine, session_scope
from bank.models import Client, PortfolioPush, Staff
from scripts.services import INTERNAL_SECRETS
from tests.security.stack import SESSION_SECRET, Stack
from tests.servers import Service, start_web

DEMO_SECRET = "demo-session-secret-for-the-attack-comparison"
PROFILE_CALL = {"next_action": "action_adv_client_profile", "sender_id": "zhangmin", "version": "3.6.21",
                "tracker": {"sender_id": "zhangmin", "slots": {"role": "advisor"}, "events": [],
                            "latest_message": {"text": "帮我看看于蓉的画像", "intent": {"name": "client_profile"},
                                               "entities": []}},
                "domain": {}}
# Tables whose rows no refused attack may add to (usage events are left out: a legitimate callback below
# records its turn).
GUARDED = ("orders", "portfolio_pushes", "notifications", "proposals", "contacts", "handoffs", "clients",
           "identities", "meeting_notes", "checkups")


@dataclass
class Demo:
    rasa: Service
    actions: Service
    web: Service


@pytest.fixture(scope="module")
def demo(rasa_server: Service, action_server: Service, demo_db_url: str) -> Iterator[Demo]:
    web = start_web(env={"DATABASE_URL": demo_db_url, "RASA_URL": rasa_server.url, "SESSION_SECRET": DEMO_SECRET})
    yield Demo(rasa_server, action_server, web)
    web.stop()


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in GUARDED
                    if t in names}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def before(production: Stack) -> dict[str, int]:
    return row_counts(production.database_url)


def forged_cookie(sender: str, key: str) -> str:
    """A session cookie as Starlette's SessionMiddleware writes it, signed with `key`."""
    payload = base64.b64encode(json.dumps({"sender": sender}).encode())
    return TimestampSigner(key).sign(payload).decode()


def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, url, timeout=30.0, **kwargs)


def a_client_with_a_push(url: str) -> str:
    """The external userid of a client, for the confirm-as-somebody-else attack."""
    with session_scope(url) as session:
        client = session.scalars(select(Client).where(Client.wecom_external_userid.is_not(None)).order_by(Client.id)).first()
        assert client is not None
        return str(client.wecom_external_userid)


# (name, method, path, body) of the attacks on Rasa, the action server and the web app.
RASA_ATTACKS = [
    ("read an advisor's conversation", "GET", "/conversations/zhangmin/tracker", None),
    ("take the bot down", "DELETE", "/model", None),
    ("read the server status", "GET", "/status", None),
]


class TestProduction:
    """Through the proxy, the only door the outside has."""

    def test_the_action_server_is_not_behind_the_proxy(self, production: Stack, before: dict) -> None:
        assert call("POST", f"{production.proxy.url}/webhook", json=PROFILE_CALL).status_code == 404

    def test_the_action_server_refuses_a_call_without_the_secret(self, production: Stack) -> None:
        answer = call("POST", f"{production.actions.url}/webhook", json=PROFILE_CALL)
        assert answer.status_code == 401 and "于蓉" not in answer.text

    @pytest.mark.parametrize(("name", "method", "path", "body"), RASA_ATTACKS)
    def test_rasa_api_is_not_behind_the_proxy(self, production: Stack, name: str, method: str, path: str,
                                              body: object) -> None:
        assert call(method, production.proxy.url + path).status_code == 404, name

    @pytest.mark.parametrize(("name", "method", "path", "body"), RASA_ATTACKS)
    def test_rasa_api_needs_its_token_even_on_loopback(self, production: Stack, name: str,
                                                       method: str, path: str, body: object) -> None:
        assert call(method, production.rasa.url + path).status_code == 401, name

    @pytest.mark.parametrize("message", ["帮我看看于蓉的画像", "/confirm_push"])
    def test_the_rest_channel_is_not_behind_the_proxy(self, production: Stack, message: str) -> None:
        sender = a_client_with_a_push(production.database_url) if message.startswith("/") else "zhangmin"
        answer = call("POST", f"{production.proxy.url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": message})
        assert answer.status_code == 404

    def test_the_web_chat_channel_is_not_behind_the_proxy(self, production: Stack) -> None:
        answer = call("POST", f"{production.proxy.url}/webhooks/webchat/webhook",
                      json={"sender": "zhangmin", "message": "帮我看看于蓉的画像"})
        assert answer.status_code == 404

    def test_on_loopback_rasa_has_no_rest_channel_and_an_unsigned_chat_is_refused(
            self, production: Stack) -> None:
        body = {"sender": "zhangmin", "message": "帮我看看于蓉的画像"}
        assert call("POST", f"{production.rasa.url}/webhooks/rest/webhook", json=body).status_code == 404
        assert call("POST", f"{production.rasa.url}/webhooks/webchat/webhook", json=body).status_code == 401

    def test_no_demo_sign_in(self, production: Stack) -> None:
        answer = call("POST", f"{production.proxy.url}/api/session", json={"sender_id": "chenjing"})
        assert answer.status_code == 403 and "set-cookie" not in answer.headers

    def test_a_session_cookie_signed_with_another_key_is_refused(self, production: Stack) -> None:
        forged = call("GET", f"{production.proxy.url}/api/dashboard/team",
                      cookies={"wa_session": forged_cookie("chenjing", "another-key")})
        assert forged.status_code == 401
        genuine = call("GET", f"{production.proxy.url}/api/dashboard/team",
                       cookies={"wa_session": forged_cookie("chenjing", SESSION_SECRET)})
        assert genuine.status_code == 200  # the same cookie with the real key: the refusal is the key's doing

    @pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/redoc"])
    def test_no_api_docs(self, production: Stack, path: str) -> None:
        assert call("GET", production.proxy.url + path).status_code == 404

    def test_a_dtd_in_utf16_is_refused(self, production: Stack) -> None:
        bomb = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>')
        answer = production.app.post_raw({"msg_signature": "x", "timestamp": "1", "nonce": "n"},
                                         bomb.encode("utf-16"))
        assert answer.status == 400

    def test_an_oversize_callback_is_refused_at_the_edge(self, production: Stack) -> None:
        answer = call("POST", f"{production.proxy.url}/webhooks/wecom/?msg_signature=x&timestamp=1&nonce=n",
                      content=b"<xml>" + b"a" * 1_000_000 + b"</xml>")
        assert answer.status_code == 413

    def test_an_anonymous_confirmation_is_refused(self, production: Stack) -> None:
        with session_scope(production.database_url) as session:
            task = session.scalar(select(PortfolioPush.task_id).order_by(PortfolioPush.id))
        answer = call("POST", f"{production.proxy.url}/pushes/{task or 'x' * 32}/confirm")
        assert answer.status_code in (401, 404, 410)  # never a decision without the client's own identity
        if task:
            assert answer.status_code in (401, 410)

    def test_tokens_and_codes_stay_out_of_the_access_logs(self, production: Stack) -> None:
        secrets = ["PROPOSALTOKENabcdef1234567890", "PUSHTOKENabcdef1234567890", "OAUTHCODEabcdef123456"]
        call("GET", f"{production.proxy.url}/proposals/{secrets[0]}")
        call("GET", f"{production.proxy.url}/pushes/{secrets[1]}")
        call("GET", f"{production.proxy.url}/auth/wecom/callback?code={secrets[2]}&state=s")
        for log in (production.proxy.access_log, production.web.log_path):
            assert log is not None
            text = log.read_text(encoding="utf-8", errors="replace")
            assert "/proposals/{token}" in text or log == production.proxy.access_log
            assert not [s for s in secrets if s in text], log

    def test_no_attack_left_a_trace(self, production: Stack, before: dict[str, int]) -> None:
        assert row_counts(production.database_url) == before
        assert production.fake.sent("message/send") == [] and production.fake.sent("kf/send_msg") == []

    def test_an_absurd_amount_through_wecom_gets_a_polite_question(self, production: Stack) -> None:
        pushes = row_counts_of(production.database_url, PortfolioPush)
        name = a_client_of(production.database_url, "zhangmin")
        attempts = production.app.deliver(
            production.app.text_xml("zhangmin", f"把稳健组合推给{name} 每人999999999999999999999999999元"))
        assert [a.status for a in attempts] == [200]  # acknowledged at once, answered through WeCom
        assert production.fake.wait_sent("message/send", "zhangmin", 1) is not None
        reply = json.dumps(production.fake.sent("message/send", to="zhangmin"), ensure_ascii=False)
        assert "金额" in reply and "9999" not in reply
        assert row_counts_of(production.database_url, PortfolioPush) == pushes


def a_client_of(url: str, advisor: str) -> str:
    """The name of one of `advisor`'s clients."""
    with session_scope(url) as session:
        name = session.scalar(select(Client.name).join(Staff, Client.advisor_id == Staff.id)
                              .where(Staff.wecom_userid == advisor).order_by(Client.id))
        assert name
        return str(name)


def row_counts_of(url: str, model: type) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestDemo:
    """The same requests against `make run`'s demo profile, on loopback: what the demo allows."""

    def test_the_action_server_refuses_a_call_without_the_secret(self, demo: Demo) -> None:
        assert call("POST", f"{demo.actions.url}/webhook", json=PROFILE_CALL).status_code == 401

    @pytest.mark.parametrize(("name", "method", "path", "body"), RASA_ATTACKS)
    def test_rasa_api_needs_its_token(self, demo: Demo, name: str, method: str, path: str, body: object) -> None:
        assert call(method, demo.rasa.url + path).status_code == 401, name
        token = INTERNAL_SECRETS["RASA_AUTH_TOKEN"]
        if method == "GET":  # with the token (as the tests' own helpers do) the API answers
            assert call(method, f"{demo.rasa.url}{path}?token={token}").status_code == 200, name

    def test_the_rest_channel_trusts_its_sender_on_loopback(self, demo: Demo) -> None:
        answer = call("POST", f"{demo.rasa.url}/webhooks/rest/webhook",
                      json={"sender": "security-demo-advisor", "message": "你好"})
        assert answer.status_code == 200  # the README's curl examples: the demo's convenience, loopback only

    def test_the_picker_signs_in(self, demo: Demo) -> None:
        answer = call("POST", f"{demo.web.url}/api/session", json={"sender_id": "chenjing"})
        assert answer.status_code == 200 and "wa_session" in answer.cookies

    def test_a_forged_cookie_is_refused_here_too(self, demo: Demo) -> None:
        forged = call("GET", f"{demo.web.url}/api/dashboard/team",
                      cookies={"wa_session": forged_cookie("chenjing", "another-key")})
        assert forged.status_code == 401

    def test_api_docs_are_served(self, demo: Demo) -> None:
        assert call("GET", f"{demo.web.url}/docs").status_code == 200

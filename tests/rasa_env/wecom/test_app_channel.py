"""End to end through the app channel: simulator → Rasa (real) → action server → reply at the fake API."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.rasa_env.wecom.conftest import AES_KEY, TOKEN, Stack, responses
from tests.servers import wait_for

pytestmark = pytest.mark.slow


def texts_to(stack: Stack, user: str) -> list[str]:
    return [b["text"]["content"] for b in stack.fake.sent(to=user) if b.get("msgtype") == "text"]


def new_user() -> str:
    return "sim" + uuid.uuid4().hex[:10]


def test_url_verification_answers_the_plain_echo(stack: Stack) -> None:
    attempt = stack.app.verify_url("echo-42")
    assert attempt.status == 200 and attempt.body == b"echo-42"


def test_a_text_gets_the_bot_reply_through_message_send(stack: Stack) -> None:
    user = new_user()
    attempts = stack.app.deliver(stack.app.text_xml(user, "你好"))
    assert [a.status for a in attempts] == [200] and attempts[0].body == b""
    replies = wait_for(lambda: texts_to(stack, user), what="the greeting")
    assert replies == responses("utter_greet_unknown")
    sent = stack.fake.sent(to=user)[0]
    assert sent["agentid"] == 1000002 and sent["msgtype"] == "text"


def test_a_button_click_comes_back_as_its_payload(stack: Stack) -> None:
    user = new_user()
    extra = "<EventKey><![CDATA[/thank]]></EventKey><TaskId><![CDATA[t1]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
    extra += "<ResponseCode><![CDATA[rc-1]]></ResponseCode>"
    stack.app.deliver(stack.app.event_xml(user, "template_card_event", extra))
    reply = wait_for(lambda: texts_to(stack, user), what="the reply to the click")
    assert reply[0] in responses("utter_thank")
    update = wait_for(lambda: stack.fake.sent("message/update_template_card"), what="the greyed card")
    assert update[0]["response_code"] == "rc-1" and update[0]["userids"] == [user]


def test_a_callback_retried_three_times_gives_one_reply(stack: Stack) -> None:
    user = new_user()
    plaintext = stack.app.text_xml(user, "谢谢你")
    first = stack.app.deliver(plaintext, drop_first=True)  # WeCom gave up on the first attempt
    second = stack.app.deliver(plaintext)  # and a late retry of the same message
    assert [a.status for a in first] == [None, 200] and [a.status for a in second] == [200]
    wait_for(lambda: texts_to(stack, user), what="the reply")
    time.sleep(3)
    assert len(texts_to(stack, user)) == 1


def test_fifty_users_at_once_get_their_own_replies_in_order(stack: Stack) -> None:
    users = [new_user() for _ in range(50)]

    def converse(user: str) -> None:
        for text in ("你好", "谢谢你"):
            assert [a.status for a in stack.app.deliver(stack.app.text_xml(user, text))] == [200]

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(converse, users))
    wait_for(lambda: all(len(texts_to(stack, u)) >= 2 for u in users), timeout_s=120, what="100 replies")
    time.sleep(1)
    for user in users:
        replies = texts_to(stack, user)
        assert len(replies) == 2
        assert replies[0] == responses("utter_greet_unknown")[0] and replies[1] in responses("utter_thank")


def test_token_expiry_and_a_45009_burst_lose_no_reply(stack: Stack) -> None:
    users = [new_user() for _ in range(10)]
    stack.fake.expire_tokens()
    stack.fake.inject("message/send", *([45009] * 6), 500)
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda u: stack.app.deliver(stack.app.text_xml(u, "谢谢你")), users))
    wait_for(lambda: all(texts_to(stack, u) for u in users), timeout_s=90, what="every reply")
    assert all(len(texts_to(stack, u)) == 1 for u in users)


class TestBadInput:
    """Each case is refused with its status, never reaches Rasa and leaves no secret or content in the log."""

    def refused(self, stack: Stack, query: dict[str, str], body: bytes, user: str) -> int | None:
        status = stack.app.post_raw(query, body).status
        time.sleep(1.5)
        assert stack.fake.sent(to=user) == []
        assert stack.app.verify_url("still-alive").body == b"still-alive"
        return status

    def test_wrong_signature_is_403(self, stack: Stack) -> None:
        user = new_user()
        body, query = stack.app.signed(stack.app.text_xml(user, "秘密内容"))
        assert self.refused(stack, {**query, "msg_signature": "f" * 40}, body, user) == 403

    def test_undecryptable_body_is_400(self, stack: Stack) -> None:
        from wecom.crypto import signature

        query = {"timestamp": str(int(time.time())), "nonce": "n1"}
        query["msg_signature"] = signature(TOKEN, query["timestamp"], "n1", "QUJDRA==")
        assert self.refused(stack, query, b"<xml><Encrypt>QUJDRA==</Encrypt></xml>", "nobody") == 400

    def test_malformed_body_is_400(self, stack: Stack) -> None:
        _, query = stack.app.signed("<xml/>")
        assert self.refused(stack, query, b"<xml><Encrypt>", "nobody") == 400

    def test_oversized_body_is_413(self, stack: Stack) -> None:
        _, query = stack.app.signed("<xml/>")
        assert self.refused(stack, query, b"<xml>" + b"a" * 200_000 + b"</xml>", "nobody") == 413

    def test_replayed_old_callback_is_403(self, stack: Stack) -> None:
        user = new_user()
        body, query = stack.app.signed(stack.app.text_xml(user, "旧消息"), timestamp=int(time.time()) - 3600)
        assert self.refused(stack, query, body, user) == 403

    def test_message_for_another_corp_is_403(self, stack: Stack) -> None:
        from tests.wecom_peer.simulator import CallbackSimulator

        user = new_user()
        other = CallbackSimulator(stack.app.url, TOKEN, AES_KEY, "wwothercorp")
        body, query = other.signed(other.text_xml(user, "你好"))
        assert self.refused(stack, query, body, user) == 403

    def test_log_holds_no_secret_and_no_content(self, stack: Stack) -> None:
        log = stack.log_path.read_text(encoding="utf-8", errors="replace")
        assert "rejected" in log
        for secret in (AES_KEY, TOKEN, "app-secret", "kf-secret", "秘密内容", "旧消息"):
            assert secret not in log

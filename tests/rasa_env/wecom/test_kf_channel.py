"""End to end through 微信客服: kf_msg_or_event → kf/sync_msg (cursor) → Rasa → kf/send_msg."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.rasa_env.wecom.conftest import OPEN_KFID, Stack, responses
from tests.servers import wait_for
from wecom.inbox import Inbox

pytestmark = pytest.mark.slow


def kf_texts(stack: Stack, user: str) -> list[str]:
    return [b["text"]["content"] for b in stack.fake.sent("kf/send_msg", to=user) if b.get("msgtype") == "text"]


def test_customer_text_is_answered_through_kf_send_msg(stack: Stack) -> None:
    customer = "wm" + uuid.uuid4().hex[:12]
    stack.fake.add_kf_message(OPEN_KFID, customer, "你好")
    attempts = stack.kf.deliver(stack.kf.kf_event_xml(OPEN_KFID))
    assert [a.status for a in attempts] == [200]
    replies = wait_for(lambda: kf_texts(stack, customer), what="the kf reply")
    assert replies == responses("utter_greet_unknown")
    assert stack.fake.sent("kf/send_msg", to=customer)[0]["open_kfid"] == OPEN_KFID


def test_menu_click_and_cursor_are_never_replayed(stack: Stack) -> None:
    customer = "wm" + uuid.uuid4().hex[:12]
    stack.fake.add_kf_message(OPEN_KFID, customer, "谢谢", menu_id="/thank")
    stack.fake.add_kf_message(OPEN_KFID, "system", "ignored", origin=4)
    for _ in range(3):  # repeated callbacks for the same messages
        stack.kf.deliver(stack.kf.kf_event_xml(OPEN_KFID))
    wait_for(lambda: kf_texts(stack, customer), what="the reply to the menu click")
    time.sleep(2)
    replies = kf_texts(stack, customer)
    assert len(replies) == 1 and replies[0] in responses("utter_thank")
    assert Inbox.shared(stack.database_url).cursor(OPEN_KFID) == str(len(stack.fake.kf_messages))
    assert stack.fake.sent("kf/sync_msg")[-1]["cursor"] == str(len(stack.fake.kf_messages))

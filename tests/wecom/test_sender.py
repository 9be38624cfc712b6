"""The send queue: order per recipient, rate per member, retries that never silently drop a reply."""

from __future__ import annotations

import asyncio

from tests.wecom_peer.fake_api import FakeWeCom
from wecom import messages
from wecom.api import WeComAPI
from wecom.sender import SendQueue
from wecom.settings import WeComSettings
from wecom.store import MemoryStore


def send_all(queue: SendQueue, items: list[tuple[str, str]]) -> list[object]:
    async def run() -> list[object]:
        return await asyncio.gather(*(queue.send(user, "message/send", {"touser": user, **messages.text(content)})
                                      for user, content in items))
    return asyncio.run(run())


def test_order_is_kept_per_recipient_across_a_45009_burst_and_5xx(
    fake: FakeWeCom, settings: WeComSettings, store: MemoryStore
) -> None:
    fake.inject("message/send", 45009, 45009, 500, 45009)
    queue = SendQueue(WeComAPI(settings, store), base_delay_s=0.01)
    items = [(f"u{i % 5}", f"{i // 5}") for i in range(25)]
    assert all(send_all(queue, items))
    for user in range(5):
        assert [b["text"]["content"] for b in fake.sent(to=f"u{user}")] == [str(n) for n in range(5)]
    assert queue.failed == []


def test_token_expiry_mid_run_loses_nothing(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    queue = SendQueue(WeComAPI(settings, store), base_delay_s=0.01)
    send_all(queue, [("a", "1")])
    fake.expire_tokens()
    fake.inject("message/send", 42001)
    send_all(queue, [("a", "2"), ("b", "1")])
    assert [b["text"]["content"] for b in fake.sent(to="a")] == ["1", "2"]
    assert len(fake.sent(to="b")) == 1


def test_a_permanent_failure_is_kept_not_dropped(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    fake.inject("message/send", *([45009] * 3))
    queue = SendQueue(WeComAPI(settings, store), max_attempts=3, base_delay_s=0.001)
    assert send_all(queue, [("z", "lost?")]) == [None]
    assert len(queue.failed) == 1 and queue.failed[0].recipient == "z"


def test_non_retryable_errors_fail_at_once(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    fake.inject("message/send", 81013)
    queue = SendQueue(WeComAPI(settings, store), base_delay_s=0.001)
    assert send_all(queue, [("nobody", "x")]) == [None]
    assert "81013" in queue.failed[0].error


def test_rate_limit_holds_the_31st_message_of_a_minute(settings: WeComSettings, store: MemoryStore) -> None:
    now = [1000.0]
    slept: list[float] = []
    queue = SendQueue(WeComAPI(settings, store), per_member_per_minute=3, clock=lambda: now[0])

    async def run() -> None:
        original = asyncio.sleep

        async def fake_sleep(seconds: float) -> None:
            slept.append(seconds)
            now[0] += seconds
            await original(0)

        asyncio.sleep = fake_sleep  # type: ignore[assignment]
        try:
            for _ in range(4):
                await queue._wait_for_slot("m")
        finally:
            asyncio.sleep = original  # type: ignore[assignment]

    asyncio.run(run())
    assert len(slept) == 1 and 59.9 <= slept[0] <= 60.1

"""The inbox worker with turns we control: done only after a turn that replied, the busy text once when a
part is down, replay after a crash unless the crashed turn had already replied, one turn at a time per sender."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from bank import db
from bot.channels._worker import InboxWorker, WorkerSettings
from wecom.inbox import Entry, Inbox
from wecom.outbox import enqueue

FAST = WorkerSettings(poll_s=0.02, lease_s=5.0, retry_s=0.05, max_attempts=50, max_concurrent=2)


@pytest.fixture()
def inbox(tmp_path: Path) -> Inbox:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    db.upgrade(url)
    return Inbox(url)


class Parts:
    """Turns that record what ran, an action server that is up or down, and busy notices told."""

    def __init__(self, inbox: Inbox, replies: int = 1) -> None:
        self.inbox, self.replies, self.up = inbox, replies, True
        self.turns: list[str] = []
        self.busy: list[str] = []
        self.running: set[str] = set()
        self.overlap = False

    async def turn(self, entry: Entry) -> int:
        if entry.sender in self.running:
            self.overlap = True
        self.running.add(entry.sender)
        await asyncio.sleep(0.01)
        self.turns.append(entry.text)
        self.running.discard(entry.sender)
        for _ in range(self.replies):
            enqueue(self.inbox.engine, entry.sender, "message/send", {}, text="答", source=f"app:{entry.message_id}")
        return self.replies

    async def tell_busy(self, entry: Entry) -> None:
        self.busy.append(entry.text)

    async def check(self) -> bool:
        return self.up

    def worker(self, settings: WorkerSettings = FAST) -> InboxWorker:
        return InboxWorker("test", self.inbox, ("app",), self.turn, self.tell_busy, self.check, settings,
                           needs_reply=lambda _e: True)


async def until(condition: Callable[[], object], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_each_message_runs_once_in_order_per_sender(inbox: Inbox) -> None:
    parts = Parts(inbox)

    async def scenario() -> None:
        worker = parts.worker()
        worker.start()
        for n in range(4):
            inbox.accept("app", f"a{n}", "a", f"a{n}")
            inbox.accept("app", f"b{n}", "b", f"b{n}")
        worker.wake()
        await until(lambda: inbox.counts() == {"done": 8})
        await worker.stop()

    asyncio.run(scenario())
    assert [t for t in parts.turns if t[0] == "a"] == ["a0", "a1", "a2", "a3"]
    assert sorted(parts.turns) == sorted(f"{s}{n}" for s in "ab" for n in range(4)) and not parts.overlap


def test_action_server_down_tells_busy_once_then_answers_when_it_is_back(inbox: Inbox) -> None:
    """However long the outage, waiting for the action server does not use up the message's attempts."""
    parts = Parts(inbox)
    parts.up = False

    async def scenario() -> None:
        worker = parts.worker(dataclasses.replace(FAST, max_attempts=2))
        worker.start()
        inbox.accept("app", "m1", "a", "你好")
        await until(lambda: inbox.claimable(("app",)) == [] or len(parts.busy) >= 1)
        await asyncio.sleep(0.3)  # several retries while it is down
        assert parts.turns == [] and inbox.counts() == {"pending": 1}
        parts.up = True
        await until(lambda: inbox.counts() == {"done": 1})
        await worker.stop()

    asyncio.run(scenario())
    assert parts.busy == ["你好"] and parts.turns == ["你好"]


def test_a_turn_without_a_reply_keeps_the_message_then_gives_up(inbox: Inbox) -> None:
    parts = Parts(inbox, replies=0)

    async def scenario() -> None:
        worker = parts.worker(dataclasses.replace(FAST, max_attempts=4))
        worker.start()
        inbox.accept("app", "m1", "a", "你好")
        await until(lambda: len(parts.turns) >= 2)
        assert inbox.counts() == {"pending": 1}
        await until(lambda: inbox.counts() == {"failed": 1})
        await worker.stop()

    asyncio.run(scenario())
    assert parts.busy == ["你好"] and len(parts.turns) == 4


def test_after_a_crash_a_message_is_replayed_unless_it_was_already_answered(inbox: Inbox) -> None:
    inbox.accept("app", "answered", "a", "已答")
    inbox.accept("app", "lost", "b", "未答")
    for entry in inbox.claimable(("app",)):
        assert inbox.claim(entry.id, 0.01)  # a process took both and died
    enqueue(inbox.engine, "a", "message/send", {}, text="答", source="app:answered")
    parts = Parts(inbox)

    async def scenario() -> None:
        await asyncio.sleep(0.05)
        worker = parts.worker()
        worker.start()
        await until(lambda: inbox.counts() == {"done": 2})
        await worker.stop()

    asyncio.run(scenario())
    assert parts.turns == ["未答"]

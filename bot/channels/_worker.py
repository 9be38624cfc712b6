"""The inbox worker of a WeCom channel: hands stored messages to Rasa, one at a time per sender, and marks
each done only when its turn completed with a reply.

Before a turn it checks the action server; when that is down, or a turn ends with no reply or with the action
server gone, the sender hears the busy text once and the message stays pending for a later try. A message
whose earlier attempt died mid-turn (its lease ran out with no outcome) is replayed, unless that attempt had
already written its replies (a turn stores all of its replies together at its end, bot/channels/_output.py, so
replies written are the whole answer). Actions that write are idempotent by the message id, so a replay writes
nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from wecom import logs, metrics
from wecom.inbox import Entry, Inbox, now
from wecom.masking import mask_id
from wecom.outbox import has_replies

logger = logging.getLogger(__name__)

BUSY_FALLBACK = "系统繁忙，请稍后再试"

Turn = Callable[[Entry], Awaitable[int]]  # runs one stored message, returns how many replies it wrote
Busy = Callable[[Entry], Awaitable[None]]  # tells the sender once that the system is busy
Check = Callable[[], Awaitable[bool]]  # whether the parts a turn needs are up


@dataclass(frozen=True)
class WorkerSettings:
    """Timings of the inbox worker (environment: WECOM_INBOX_*), in seconds."""

    poll_s: float = 0.5
    lease_s: float = 30.0
    retry_s: float = 3.0
    max_attempts: int = 5  # turns that ran and failed (waiting for a part that is down does not count)
    max_concurrent: int = 2

    @classmethod
    def from_env(cls, max_concurrent: int = 2) -> WorkerSettings:
        def number(name: str, default: float) -> float:
            raw = os.environ.get(name, "")
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise ValueError(f"{name} must be a number of seconds") from None
            if value <= 0:
                raise ValueError(f"{name} must be positive")
            return value

        return cls(poll_s=number("WECOM_INBOX_POLL_S", 0.5), lease_s=number("WECOM_INBOX_LEASE_S", 30.0),
                   retry_s=number("WECOM_INBOX_RETRY_S", 3.0),
                   max_attempts=int(number("WECOM_INBOX_MAX_ATTEMPTS", 5)), max_concurrent=max_concurrent)


def health_url(action_url: str) -> str:
    """The action server's health URL beside its webhook.

    >>> health_url("http://127.0.0.1:5055/webhook")
    'http://127.0.0.1:5055/health'
    """
    parts = urllib.parse.urlsplit(action_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/health", "", ""))


def action_server_check(action_url: str | None, timeout_s: float = 2.0) -> Check:
    """A check that the action server answers its health URL (always up when no action server is set)."""

    def probe() -> bool:
        try:
            with urllib.request.urlopen(health_url(action_url or ""), timeout=timeout_s) as answer:
                return bool(200 <= answer.status < 300)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    async def check() -> bool:
        if not action_url:
            return True
        return await asyncio.get_running_loop().run_in_executor(None, probe)

    return check


class InboxWorker:
    """Runs the pending messages of some inbox `channels` through `turn`; `wake()` after storing one."""

    def __init__(self, name: str, inbox: Inbox, channels: tuple[str, ...], turn: Turn, busy: Busy,
                 check: Check, settings: WorkerSettings, needs_reply: Callable[[Entry], bool]) -> None:
        self.name, self.inbox, self.channels = name, inbox, channels
        self.turn, self.busy, self.check, self.settings = turn, busy, check, settings
        self.needs_reply = needs_reply
        self._wake = asyncio.Event()
        self._active: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if self._task is None:
            self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        for task in [self._task, *self._active.values()]:
            if task is not None:
                task.cancel()
        self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        return await logs.in_thread(function, *args)

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._start_turns()
            except SQLAlchemyError as error:  # the bank database is down: callbacks get 503, we wait
                logger.warning("%s inbox unavailable: %s", self.name, error.__class__.__name__)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_s)

    async def _start_turns(self) -> None:
        free = self.settings.max_concurrent - len(self._active)
        if free <= 0:
            return
        for entry in await self._call(self.inbox.claimable, self.channels):
            if free <= 0:
                break
            if entry.sender in self._active:
                continue
            if not await self._call(self.inbox.claim, entry.id, self.settings.lease_s):
                continue
            free -= 1
            task = asyncio.ensure_future(self._run(entry))
            self._active[entry.sender] = task
            task.add_done_callback(lambda _t, sender=entry.sender: self._finished(sender))

    def _finished(self, sender: str) -> None:
        self._active.pop(sender, None)
        self._wake.set()

    async def _run(self, entry: Entry) -> None:
        """One message's attempt, in a task of its own, under the request id it arrived with."""
        logs.REQUEST_ID.set(logs.accepted_request_id(entry.meta.get(logs.METADATA_KEY)))
        renewer = asyncio.ensure_future(self._renew(entry.id))
        try:
            await self._attempt(entry)
        except SQLAlchemyError as error:  # its lease runs out and the message is tried again
            logger.warning("%s message of %s left pending: %s", self.name, mask_id(entry.sender),
                           error.__class__.__name__)
        finally:
            renewer.cancel()

    async def _renew(self, entry_id: int) -> None:
        while True:
            await asyncio.sleep(self.settings.lease_s / 3)
            with contextlib.suppress(SQLAlchemyError):
                await self._call(self.inbox.renew, entry_id, self.settings.lease_s)

    async def _attempt(self, entry: Entry) -> None:
        source = f"{entry.channel}:{entry.message_id}"
        if entry.attempts and entry.error is None and await self._call(has_replies, self.inbox.engine, source):
            logger.info("%s message of %s was answered before a restart", self.name, mask_id(entry.sender))
            await self._call(self.inbox.done, entry.id)
            return
        if not self.needs_reply(entry):
            await self.turn(entry)
            await self._call(self.inbox.done, entry.id)
            return
        if not await self.check():
            await self._not_now(entry, "action server down", turn_ran=False)
            return
        try:
            replies = await self.turn(entry)
        except Exception as error:  # any failure of a turn keeps the message for later
            logger.error("%s turn for %s failed: %s", self.name, mask_id(entry.sender), error.__class__.__name__)
            replies = 0
        if replies and await self.check():
            await self._call(self.inbox.done, entry.id)
            seconds = observe_turn(entry)
            logger.info("%s turn for %s: %d replies, %.0f ms after the callback", self.name,
                        mask_id(entry.sender), replies, seconds * 1000)
        else:
            await self._not_now(entry, "no reply" if replies == 0 else "action server down")

    async def _not_now(self, entry: Entry, reason: str, turn_ran: bool = True) -> None:
        """Tell the sender once that we are busy and keep the message pending: while a part is down it waits
        for as long as that takes; a turn that ran and failed counts, and too many of those give up."""
        if not entry.busy_told:
            await self.busy(entry)
        if not turn_ran:
            await self._call(partial(self.inbox.retry_later, entry.id, reason, self.settings.retry_s, True,
                                     counted=False))
            return
        if entry.attempts + 1 >= self.settings.max_attempts:
            logger.error("%s message of %s given up after %d attempts (%s)", self.name, mask_id(entry.sender),
                         entry.attempts + 1, reason)
            await self._call(self.inbox.failed, entry.id, reason)
            return
        logger.warning("%s message of %s kept for later: %s", self.name, mask_id(entry.sender), reason)
        await self._call(self.inbox.retry_later, entry.id, reason, self.settings.retry_s, True)


FAULT_VARIABLE = "FAULT_CRASH_BEFORE_REPLIES_TO"


def crash_before_replies(entry: Entry) -> None:
    """tests/faults: die the worst way after a turn ran (its tracker saved) and before its replies are stored.
    FAULT_CRASH_BEFORE_REPLIES_TO=PREFIX:TEXT picks the first attempt of a message TEXT from a sender whose id
    starts with PREFIX. Inert without the variable and in the production profile (APP_ENV=production)."""
    prefix, _, text = os.environ.get(FAULT_VARIABLE, "").partition(":")
    if (prefix and entry.sender.startswith(prefix) and entry.text == text and not entry.attempts
            and os.environ.get("APP_ENV") != "production"):
        logger.error("fault injection: the Rasa process dies before storing the replies of a turn")
        os.kill(os.getpid(), signal.SIGKILL)


def observe_turn(entry: Entry) -> float:
    """Count a finished turn's latency, from its message stored in the inbox to now (wecom/metrics.py); the
    seconds counted (0 when the arrival is unknown)."""
    if entry.received_at is None:
        return 0.0
    seconds = max((now() - entry.received_at).total_seconds(), 0.0)
    metrics.TURN_SECONDS.labels(entry.channel).observe(seconds)
    return seconds


def response_text(app: Any, name: str, default: str) -> str:
    """The first text of a domain response of the agent Rasa loaded (`default` when it has none)."""
    agent = getattr(app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    variants = (getattr(domain, "responses", None) or {}).get(name) or []
    texts = [str(v.get("text")) for v in variants if isinstance(v, dict) and v.get("text")]
    return texts[0] if texts else default


def action_url(app: Any) -> str | None:
    """The action server's webhook URL of the agent Rasa loaded (None without custom actions)."""
    endpoint = getattr(getattr(app.ctx, "agent", None), "action_endpoint", None)
    return getattr(endpoint, "url", None) or None

"""An asyncio send queue: per-recipient order, at most 30 messages a minute per member (WeCom silently drops
the excess), token refetch on 40001/40014/42001 and back-off on 45009/45033/5xx. A reply that still fails
after every retry is logged (masked) and kept in `failed`: never silently dropped."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wecom.api import WeComAPI, WeComAPIError
from wecom.masking import mask_id

logger = logging.getLogger(__name__)


@dataclass
class FailedSend:
    """A message given up on after all retries (kept for an operator; content is not logged)."""

    recipient: str
    path: str
    payload: dict[str, Any]
    error: str


@dataclass
class SendQueue:
    """Send through `api` from async code; the HTTP call runs in the default executor."""

    api: WeComAPI
    per_member_per_minute: int = 30
    max_attempts: int = 8
    base_delay_s: float = 0.2
    max_delay_s: float = 20.0
    clock: Callable[[], float] = time.monotonic
    failed: list[FailedSend] = field(default_factory=list)
    sent_count: int = 0
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _windows: dict[str, collections.deque[float]] = field(default_factory=dict)

    async def send(self, recipient: str, path: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send one message to `recipient` after the ones already queued for them; None if it failed for good."""
        lock = self._locks.setdefault(recipient, asyncio.Lock())
        async with lock:
            await self._wait_for_slot(recipient)
            return await self._send_with_retries(recipient, path, payload)

    async def _wait_for_slot(self, recipient: str) -> None:
        window = self._windows.setdefault(recipient, collections.deque())
        while True:
            now = self.clock()
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) < self.per_member_per_minute:
                window.append(now)
                return
            await asyncio.sleep(60.0 - (now - window[0]) + 0.01)

    async def _send_with_retries(self, recipient: str, path: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        delay = self.base_delay_s
        error: WeComAPIError | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                answer: dict[str, Any] = await loop.run_in_executor(None, self.api.call, path, payload)
                self.sent_count += 1
                return answer
            except WeComAPIError as caught:
                error = caught
                if caught.token_invalid:  # api.call refetched once already; fetch afresh and go again
                    self.api.forget_token()
                    continue
                if not caught.retryable:
                    break
                logger.warning("wecom send to %s: %s, retry %d in %.1fs", mask_id(recipient),
                               caught.errcode or caught.status, attempt, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay_s)
        reason = f"errcode={error.errcode if error else None} status={error.status if error else None}"
        logger.error("wecom send to %s via %s failed for good (%s)", mask_id(recipient), path, reason)
        self.failed.append(FailedSend(recipient, path, payload, reason))
        return None

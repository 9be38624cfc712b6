"""What the WeCom channels' output channels share: replies go to the outbox, never straight to WeCom.

A turn's output (`hold=True`) keeps its replies until the turn has ended and `flush()` stores them together, in
one transaction. A process that dies in the middle of a turn therefore leaves all of the turn's replies or none:
the inbox worker replays a turn with none, and marks one with replies answered (bot/channels/_worker.py), so a
user never gets half an answer. Messages Rasa sends outside a turn are stored at once.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rasa.core.channels.channel import OutputChannel
from sqlalchemy.engine import Engine

from wecom.logs import in_thread
from wecom.outbox import Reply, enqueue_all


class OutboxOutput(OutputChannel):
    """Replies to one WeCom user through the outbox API `path`, counting them (`sent`); `addressing` holds the
    fields the API wants beside `touser` (the app's agentid, the kf account's open_kfid)."""

    def __init__(self, engine: Engine, path: str, addressing: dict[str, Any], source: str | None = None,
                 hold: bool = False) -> None:
        self.engine, self.path, self.addressing = engine, path, addressing
        self.source, self.hold = source, hold
        self.sent = 0
        self._held: list[Reply] = []

    async def _send(self, recipient_id: str, body: dict[str, Any], text: str = "") -> None:
        payload = {"touser": recipient_id, **self.addressing, **body}
        self._held.append(Reply(recipient_id, self.path, payload, text or str(body["msgtype"])))
        self.sent += 1
        if not self.hold:
            await self.flush()

    async def flush(self) -> None:
        """Store the replies kept so far, together."""
        held, self._held = self._held, []
        if held:
            await in_thread(partial(enqueue_all, self.engine, held, source=self.source))

"""Rasa input channel for the bank's self-built WeCom app, mounted at /webhooks/wecom/.

A callback is verified, decrypted and stored in the inbox (wecom/inbox.py) before its empty 200; a retried
callback finds its message already stored. The inbox worker then runs each message through Rasa, one at a
time per sender, and replies go into the outbox (wecom/outbox.py) for the sender worker to deliver through
message/send. The sender id is the WeCom userid. Settings come from WECOM_* environment variables and
DATABASE_URL; without them the channel answers 503 and Rasa starts as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic
from sqlalchemy.engine import Engine

from bot.channels._callback import add_metrics_route, callback_blueprint
from bot.channels._output import OutboxOutput
from bot.channels._replay import replay_from_tracker
from bot.channels._worker import (
    BUSY_FALLBACK,
    InboxWorker,
    WorkerSettings,
    action_server_check,
    action_url,
    crash_before_replies,
    response_text,
)
from wecom import logs, messages, metrics
from wecom.callbacks import dedup_key
from wecom.inbox import Entry, Inbox
from wecom.outbox import enqueue
from wecom.settings import WeComSettings

logger = logging.getLogger(__name__)

CUSTOM_TYPES = frozenset({"markdown", "textcard", "news", "template_card", "text", "image"})
CHANNEL = "app"


class WeComOutput(OutboxOutput):
    """Replies to one app user through the outbox (message/send), counting what it wrote."""

    @classmethod
    def name(cls) -> str:
        return "wecom"

    def __init__(self, engine: Engine, agent_id: int, cards: bool = True, source: str | None = None,
                 hold: bool = False) -> None:
        super().__init__(engine, "message/send", {"agentid": agent_id}, source, hold)
        self.cards = cards

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in messages.split_text(text):
            await self._send(recipient_id, messages.text(part), part)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = [(str(b.get("title", "")), str(b.get("payload", b.get("title", "")))) for b in buttons]
        if self.cards and 1 <= len(pairs) <= 6:
            title, _, desc = text.partition("\n")
            await self._send(recipient_id, messages.button_card(title, pairs, desc=desc), text)
        else:
            await self.send_text_message(recipient_id, messages.numbered_menu(text, pairs))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """The sender worker fetches the image and uploads it as media before sending."""
        await self._send(recipient_id, {"msgtype": "image", "image": {"url": image}}, "[图片]")

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        kind = json_message.get("msgtype")
        if json_message.get("type") == "card" and json_message.get("url"):  # the bot's link card (proposals…)
            title = str(json_message.get("title", ""))
            await self._send(recipient_id, messages.textcard(
                title, str(json_message.get("description", "")), str(json_message["url"]),
                str(json_message.get("button_text") or "详情")), title)
        elif kind in CUSTOM_TYPES and isinstance(json_message.get(kind), dict):
            body = dict(json_message)
            if kind == "markdown":
                body = messages.markdown(str(json_message["markdown"].get("content", "")))
            await self._send(recipient_id, body, str(kind))
        else:
            await self.send_text_message(recipient_id, json.dumps(json_message, ensure_ascii=False))


class WeComInput(InputChannel):
    """The app callback: GET verifies the URL, POST carries messages and events (encrypted)."""

    @classmethod
    def name(cls) -> str:
        return "wecom"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = WeComSettings.from_env("app")
        if settings is not None and not settings.database_url:
            logger.error("wecom channel disabled: DATABASE_URL is not set (messages are stored before the 200)")
            settings = None
        if settings is None:
            logger.warning("wecom channel disabled: WECOM_CORP_ID/WECOM_SECRET/WECOM_TOKEN/WECOM_AES_KEY and "
                           "DATABASE_URL not all set")
        return cls(settings, cards=bool((credentials or {}).get("template_cards", True)))

    def __init__(self, settings: WeComSettings | None, cards: bool = True) -> None:
        self.settings = settings
        self.cards = cards
        self.worker: InboxWorker | None = None
        self.app: Sanic | None = None  # the server, once started (its agent answers replays from the tracker)
        if settings:
            self.inbox = Inbox.shared(settings.database_url)
            metrics.INBOX_DEPTH.watch(self.inbox.depth)

    def get_output_channel(self) -> OutputChannel | None:
        if not self.settings:
            return None
        return WeComOutput(self.inbox.engine, self.settings.agent_id, self.cards)

    def accept(self, fields: dict[str, str]) -> bool:
        """Store a user's text or button click; other callbacks (events without text) need no turn.

        False when the message was stored before (a retry of its callback)."""
        text = user_text(fields)
        sender = fields.get("FromUserName", "")
        if text is None or not sender:
            return True
        meta = {"agent_id": fields.get("AgentID", ""), "msg_type": fields.get("MsgType", ""),
                "response_code": fields.get("ResponseCode", "") if fields.get("Event") == "template_card_event"
                else ""}
        stored = self.inbox.accept(CHANNEL, dedup_key(fields), sender, text, meta)
        if stored and self.worker is not None:
            self.worker.loop.call_soon_threadsafe(self.worker.wake)
        return stored

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def turn(entry: Entry) -> int:
            assert self.settings is not None
            output = WeComOutput(self.inbox.engine, self.settings.agent_id, self.cards,
                                 source=f"{CHANNEL}:{entry.message_id}", hold=True)
            if entry.attempts and entry.error is None and await replay_from_tracker(self.app, entry, output):
                await output.flush()
                return output.sent
            await on_new_message(UserMessage(
                entry.text, output, entry.sender, input_channel=self.name(), message_id=entry.message_id,
                metadata={"wecom": {"agent_id": entry.meta.get("agent_id", ""),
                                    "msg_type": entry.meta.get("msg_type", "")}, "sender_kind": "staff",
                          logs.METADATA_KEY: logs.current_request_id()},
            ))
            crash_before_replies(entry)
            await output.flush()  # the turn's replies together: all of them or none (bot/channels/_output.py)
            if entry.meta.get("response_code"):  # grey the clicked card's buttons: each code works once
                payload = {"userids": [entry.sender], "agentid": self.settings.agent_id,
                           "response_code": entry.meta["response_code"], "button": {"replace_name": "已选择"}}
                await logs.in_thread(partial(
                    enqueue, self.inbox.engine, entry.sender, "message/update_template_card", payload,
                    text="已选择", kind="card_update"))
            return output.sent

        async def started(app: Sanic) -> None:
            assert self.settings is not None
            self.app = app
            busy = response_text(app, "utter_busy", BUSY_FALLBACK)

            async def tell_busy(entry: Entry) -> None:
                assert self.settings is not None
                output = WeComOutput(self.inbox.engine, self.settings.agent_id, self.cards,
                                     source=f"busy:{CHANNEL}:{entry.message_id}")
                await output.send_text_message(entry.sender, busy)

            self.worker = InboxWorker(
                "wecom", self.inbox, (CHANNEL,), turn, tell_busy, action_server_check(action_url(app)),
                WorkerSettings.from_env(self.settings.max_concurrent), needs_reply=lambda _entry: True)
            self.worker.start()

        async def stopping(_app: Sanic) -> None:
            if self.worker is not None:
                await self.worker.stop()

        blueprint = callback_blueprint("wecom_webhook", self.settings, self.accept, started, stopping)
        add_metrics_route(blueprint)  # the Rasa process's /webhooks/wecom/metrics, behind RASA_AUTH_TOKEN
        return blueprint


def user_text(fields: dict[str, str]) -> str | None:
    """What the user said: a text's content, or a clicked button's payload; None for anything else.

    >>> user_text({"MsgType": "event", "Event": "template_card_event", "EventKey": "/greet"})
    '/greet'
    >>> user_text({"MsgType": "image"}) is None
    True
    """
    kind = fields.get("MsgType")
    if kind == "text":
        return fields.get("Content") or None
    if kind == "event" and fields.get("Event") in ("template_card_event", "click"):
        return fields.get("EventKey") or None
    return None

"""Rasa input channel for the bank's self-built WeCom app, mounted at /webhooks/wecom/.

Callbacks are verified, decrypted, de-duplicated and answered with an empty 200 at once; the bot runs in the
background and replies through message/send. The sender id is the WeCom userid. Settings come from WECOM_*
environment variables; without them the channel answers 503 and Rasa starts as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint

from bot.channels._callback import callback_blueprint, limited
from wecom import messages
from wecom.api import WeComAPI, fetch_bytes
from wecom.callbacks import dedup_key, first_time
from wecom.masking import mask_id
from wecom.sender import SendQueue
from wecom.settings import WeComSettings
from wecom.store import make_store

logger = logging.getLogger(__name__)

CUSTOM_TYPES = frozenset({"markdown", "textcard", "news", "template_card", "text", "image"})


class WeComOutput(OutputChannel):
    """Replies to one app user through message/send, in order and within the per-member rate."""

    @classmethod
    def name(cls) -> str:
        return "wecom"

    def __init__(self, queue: SendQueue, agent_id: int, cards: bool = True) -> None:
        self.queue, self.agent_id, self.cards = queue, agent_id, cards

    async def _send(self, recipient_id: str, body: dict[str, Any]) -> None:
        payload = {"touser": recipient_id, "agentid": self.agent_id, **body}
        await self.queue.send(recipient_id, "message/send", payload)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in messages.split_text(text):
            await self._send(recipient_id, messages.text(part))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = [(str(b.get("title", "")), str(b.get("payload", b.get("title", "")))) for b in buttons]
        if self.cards and 1 <= len(pairs) <= 6:
            title, _, desc = text.partition("\n")
            await self._send(recipient_id, messages.button_card(title, pairs, desc=desc))
        else:
            await self.send_text_message(recipient_id, messages.numbered_menu(text, pairs))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        loop = asyncio.get_running_loop()
        try:
            content = await loop.run_in_executor(None, fetch_bytes, image)
            name = "image.png" if image.lower().split("?")[0].endswith(".png") else "image.jpg"
            media_id = await loop.run_in_executor(None, self.queue.api.upload_media, content, name)
        except Exception as error:  # an image that cannot be fetched must not cost the rest of the reply
            logger.warning("wecom image for %s not sent: %s", mask_id(recipient_id), error.__class__.__name__)
            await self.send_text_message(recipient_id, image)
            return
        await self._send(recipient_id, messages.image(media_id))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        kind = json_message.get("msgtype")
        if kind in CUSTOM_TYPES and isinstance(json_message.get(kind), dict):
            body = dict(json_message)
            if kind == "markdown":
                body = messages.markdown(str(json_message["markdown"].get("content", "")))
            await self._send(recipient_id, body)
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
        if settings is None:
            logger.warning("wecom channel disabled: WECOM_CORP_ID/WECOM_SECRET/WECOM_TOKEN/WECOM_AES_KEY not set")
        return cls(settings, cards=bool((credentials or {}).get("template_cards", True)))

    def __init__(self, settings: WeComSettings | None, cards: bool = True) -> None:
        self.settings = settings
        self.cards = cards
        self.tasks: set[asyncio.Task[Any]] = set()
        if settings:
            self.store = make_store(settings.redis_url)
            self.queue = SendQueue(WeComAPI(settings, self.store))

    def get_output_channel(self) -> OutputChannel | None:
        if not self.settings:
            return None
        return WeComOutput(self.queue, self.settings.agent_id, self.cards)

    async def grey_buttons(self, user_id: str, response_code: str) -> None:
        """Grey a clicked card's buttons so it cannot be answered twice (each response_code works once)."""
        payload = {"userids": [user_id], "agentid": self.queue.api.settings.agent_id,
                   "response_code": response_code, "button": {"replace_name": "已选择"}}
        await self.queue.send(user_id, "message/update_template_card", payload)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = limited(on_new_message, self.settings.max_concurrent if self.settings else 1)
        async def handle(fields: dict[str, str]) -> None:
            text = user_text(fields)
            sender = fields.get("FromUserName", "")
            if text is None or not sender:
                return
            if not first_time(self.store, "app", dedup_key(fields)):
                logger.info("wecom duplicate callback from %s ignored", mask_id(sender))
                return
            output = self.get_output_channel()
            await on_new_message(UserMessage(
                text, output, sender, input_channel=self.name(), message_id=fields.get("MsgId") or None,
                metadata={"wecom": {"agent_id": fields.get("AgentID", ""), "msg_type": fields.get("MsgType", "")}},
            ))
            if fields.get("Event") == "template_card_event" and fields.get("ResponseCode"):
                await self.grey_buttons(sender, fields["ResponseCode"])

        return callback_blueprint("wecom_webhook", self.settings, handle, self.tasks)


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

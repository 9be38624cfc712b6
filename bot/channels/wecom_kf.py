"""Rasa input channel for 微信客服 (kf), mounted at /webhooks/wecom_kf/.

The callback only says "something arrived" (kf_msg_or_event); the channel then pulls kf/sync_msg from a
persisted cursor, feeds each customer text to Rasa with the external userid as sender, and answers through
kf/send_msg. The cursor is saved after each page is handled, and message ids are de-duplicated, so a
restart neither loses nor replays messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint

from bot.channels._callback import callback_blueprint, limited
from wecom import messages
from wecom.api import WeComAPI, WeComAPIError, fetch_bytes
from wecom.callbacks import first_time
from wecom.masking import mask_id
from wecom.sender import SendQueue
from wecom.settings import WeComSettings
from wecom.store import CursorFile, make_store

logger = logging.getLogger(__name__)

CUSTOMER = 3


class WeComKfOutput(OutputChannel):
    """Replies to one external user of one kf account through kf/send_msg (at most 5 per 48 h: keep it short)."""

    @classmethod
    def name(cls) -> str:
        return "wecom_kf"

    def __init__(self, queue: SendQueue, open_kfid: str) -> None:
        self.queue, self.open_kfid = queue, open_kfid

    async def _send(self, recipient_id: str, body: dict[str, Any]) -> None:
        payload = {"touser": recipient_id, "open_kfid": self.open_kfid, **body}
        await self.queue.send(recipient_id, "kf/send_msg", payload)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in messages.split_text(text, max_bytes=messages.TEXT_MAX_BYTES, max_parts=2):
            await self._send(recipient_id, messages.kf_text(part))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = [(str(b.get("title", "")), str(b.get("payload", b.get("title", "")))) for b in buttons]
        await self._send(recipient_id, messages.kf_menu(text, pairs))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        loop = asyncio.get_running_loop()
        try:
            content = await loop.run_in_executor(None, fetch_bytes, image)
            media_id = await loop.run_in_executor(None, self.queue.api.upload_media, content)
        except Exception as error:
            logger.warning("kf image for %s not sent: %s", mask_id(recipient_id), error.__class__.__name__)
            return
        await self._send(recipient_id, messages.image(media_id))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        if json_message.get("msgtype") in ("link", "msgmenu", "text", "image"):
            await self._send(recipient_id, dict(json_message))
        elif isinstance(json_message.get("link"), dict):
            link = json_message["link"]
            await self._send(recipient_id, messages.kf_link(link.get("title", ""), link.get("url", ""),
                                                            link.get("desc", ""), link.get("thumb_media_id", "")))


class WeComKfInput(InputChannel):
    """The 微信客服 callback plus the sync loop that pulls messages for each kf account."""

    @classmethod
    def name(cls) -> str:
        return "wecom_kf"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = WeComSettings.from_env("kf")
        if settings is None:
            logger.warning("wecom_kf channel disabled: WECOM_CORP_ID/WECOM_KF_SECRET and callback keys not set")
        return cls(settings)

    def __init__(self, settings: WeComSettings | None) -> None:
        self.settings = settings
        self.tasks: set[asyncio.Task[Any]] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: dict[str, str] = {}
        if settings:
            self.store = make_store(settings.redis_url)
            self.queue = SendQueue(WeComAPI(settings, self.store))
            self.cursors = CursorFile(Path(settings.state_dir) / f"kf-cursor-{settings.corp_id}.json")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = limited(on_new_message, self.settings.max_concurrent if self.settings else 1)
        async def handle(fields: dict[str, str]) -> None:
            if fields.get("MsgType") != "event" or fields.get("Event") != "kf_msg_or_event":
                return
            open_kfid, token = fields.get("OpenKfId", ""), fields.get("Token", "")
            if not open_kfid:
                return
            self._pending[open_kfid] = token
            lock = self._locks.setdefault(open_kfid, asyncio.Lock())
            if lock.locked():
                return  # the running sync will go round again and use the newest token
            async with lock:
                while open_kfid in self._pending:
                    await self.sync(open_kfid, self._pending.pop(open_kfid), on_new_message)

        return callback_blueprint("wecom_kf_webhook", self.settings, handle, self.tasks)

    async def sync(
        self, open_kfid: str, token: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Pull every page from the saved cursor; hand customer texts to Rasa; save the cursor per page."""
        loop = asyncio.get_running_loop()
        api = self.queue.api
        while True:
            cursor = self.cursors.get(open_kfid)
            request: dict[str, Any] = {"cursor": cursor, "token": token, "limit": 1000, "open_kfid": open_kfid}
            page = None
            for delay in (0.5, 1.0, 2.0, None):
                try:
                    page = await loop.run_in_executor(None, api.call, "kf/sync_msg", request)
                    break
                except WeComAPIError as error:
                    if delay is None or not error.retryable:
                        logger.warning("kf/sync_msg failed (%s); cursor kept for the next callback",
                                       error.errcode or error.status)
                        return
                    await asyncio.sleep(delay)
            by_user: dict[str, list[UserMessage]] = {}
            for item in page.get("msg_list", []):
                message = self._user_message(item)
                if message is not None and first_time(self.store, "kf", str(item.get("msgid", ""))):
                    by_user.setdefault(message.sender_id, []).append(message)
            await asyncio.gather(*(self._in_order(batch, on_new_message) for batch in by_user.values()))
            if page.get("next_cursor"):
                self.cursors.put(open_kfid, str(page["next_cursor"]))
            if not int(page.get("has_more", 0)):
                return

    def _user_message(self, item: dict[str, Any]) -> UserMessage | None:
        if item.get("origin") != CUSTOMER or item.get("msgtype") != "text":
            return None
        body = item.get("text") or {}
        text = body.get("menu_id") or body.get("content")
        sender = str(item.get("external_userid", ""))
        if not text or not sender:
            return None
        output = WeComKfOutput(self.queue, str(item.get("open_kfid", "")))
        return UserMessage(str(text), output, sender, input_channel=self.name(), message_id=str(item.get("msgid", "")),
                           metadata={"wecom_kf": {"open_kfid": item.get("open_kfid", "")}})

    @staticmethod
    async def _in_order(batch: list[UserMessage], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        for message in batch:
            await on_new_message(message)

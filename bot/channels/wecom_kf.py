"""Rasa input channel for 微信客服 (kf), mounted at /webhooks/wecom_kf/.

The callback only says "something arrived" (kf_msg_or_event). That notice is stored in the inbox before its
200; the inbox worker then pulls kf/sync_msg from the cursor saved in the bank database, stores each customer
text in the inbox (unique by msgid) and saves the cursor only after the page is stored, so a crash re-reads a
page and never skips one. Each stored text then runs through Rasa with the external userid as sender, and the
replies go into the outbox, where the sender worker applies 微信客服's rules (48-hour window, 5 messages per
client message). `enter_session` gets the welcome through kf/send_msg_on_event; `msg_send_fail` marks the
failed message dead in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic
from sqlalchemy.engine import Engine

from bot.channels._callback import callback_blueprint
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
from wecom.api import WeComAPI, WeComAPIError
from wecom.inbox import Entry, Inbox
from wecom.masking import mask_id
from wecom.outbox import enqueue, failed_by_wecom
from wecom.settings import WeComSettings
from wecom.store import make_store

logger = logging.getLogger(__name__)

CUSTOMER = 3
CHANNEL, SYNC, EVENT = "kf", "kf_sync", "kf_event"
WELCOME_FALLBACK = "您好，我是您的财富助手，可以帮您做财富体检、查账单、解答理财问题。"


class WeComKfOutput(OutboxOutput):
    """Replies to one external user of one kf account through the outbox (kf/send_msg), counting them."""

    @classmethod
    def name(cls) -> str:
        return "wecom_kf"

    def __init__(self, engine: Engine, open_kfid: str, source: str | None = None, hold: bool = False) -> None:
        super().__init__(engine, "kf/send_msg", {"open_kfid": open_kfid}, source, hold)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in messages.split_text(text, max_bytes=messages.TEXT_MAX_BYTES, max_parts=2):
            await self._send(recipient_id, messages.kf_text(part), part)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = [(str(b.get("title", "")), str(b.get("payload", b.get("title", "")))) for b in buttons]
        await self._send(recipient_id, messages.kf_menu(text, pairs), text)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """The sender worker fetches the image and uploads it as media before sending."""
        await self._send(recipient_id, {"msgtype": "image", "image": {"url": image}}, "[图片]")

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        if json_message.get("type") == "card" and json_message.get("url"):  # the bot's link card (proposals…)
            title = str(json_message.get("title", ""))
            await self._send(recipient_id, messages.kf_link(title, str(json_message["url"]),
                                                            str(json_message.get("description", ""))), title)
        elif json_message.get("msgtype") in ("link", "msgmenu", "text", "image"):
            await self._send(recipient_id, dict(json_message), str(json_message.get("msgtype")))
        elif isinstance(json_message.get("link"), dict):
            link = json_message["link"]
            await self._send(recipient_id, messages.kf_link(link.get("title", ""), link.get("url", ""),
                                                            link.get("desc", ""), link.get("thumb_media_id", "")),
                             str(link.get("title", "")))


class WeComKfInput(InputChannel):
    """The 微信客服 callback plus the worker that syncs and answers each kf account's messages."""

    @classmethod
    def name(cls) -> str:
        return "wecom_kf"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = WeComSettings.from_env("kf")
        if settings is not None and not settings.database_url:
            logger.error("wecom_kf channel disabled: DATABASE_URL is not set (messages are stored before the 200)")
            settings = None
        if settings is None:
            logger.warning("wecom_kf channel disabled: WECOM_CORP_ID/WECOM_KF_SECRET and callback keys not set")
        return cls(settings)

    def __init__(self, settings: WeComSettings | None) -> None:
        self.settings = settings
        self.worker: InboxWorker | None = None
        self.app: Sanic | None = None  # the server, once started (its agent answers replays from the tracker)
        self.welcome = WELCOME_FALLBACK
        if settings:
            self.inbox = Inbox.shared(settings.database_url)
            metrics.INBOX_DEPTH.watch(self.inbox.depth)
            self.api = WeComAPI(settings, make_store(settings.redis_url))

    def accept(self, fields: dict[str, str]) -> bool:
        """Store the "messages arrived" notice (its token lets sync_msg read them); retries share its key.

        False when the notice was stored before (a retry of its callback)."""
        if fields.get("MsgType") != "event" or fields.get("Event") != "kf_msg_or_event":
            return True
        open_kfid, token = fields.get("OpenKfId", ""), fields.get("Token", "")
        if not open_kfid:
            return True
        key = f"{open_kfid}:{token or fields.get('CreateTime', '')}"
        stored = self.inbox.accept(SYNC, key, open_kfid, "", {"token": token})
        if stored and self.worker is not None:
            self.worker.loop.call_soon_threadsafe(self.worker.wake)
        return stored

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def turn(entry: Entry) -> int:
            if entry.channel == SYNC:
                await logs.in_thread(self.sync, entry.sender, str(entry.meta.get("token", "")))
                return 0
            output = WeComKfOutput(self.inbox.engine, str(entry.meta.get("open_kfid", "")),
                                   source=f"{CHANNEL}:{entry.message_id}", hold=True)
            if entry.attempts and entry.error is None and await replay_from_tracker(self.app, entry, output):
                await output.flush()
                return output.sent
            await on_new_message(UserMessage(
                entry.text, output, entry.sender, input_channel=self.name(), message_id=entry.message_id,
                metadata={"wecom_kf": {"open_kfid": entry.meta.get("open_kfid", "")}, "sender_kind": "client",
                          logs.METADATA_KEY: logs.current_request_id()}))
            crash_before_replies(entry)
            await output.flush()  # the turn's replies together: all of them or none (bot/channels/_output.py)
            return output.sent

        async def started(app: Sanic) -> None:
            assert self.settings is not None
            self.app = app
            busy = response_text(app, "utter_busy", BUSY_FALLBACK)
            self.welcome = response_text(app, "utter_kf_welcome", WELCOME_FALLBACK)

            async def tell_busy(entry: Entry) -> None:
                output = WeComKfOutput(self.inbox.engine, str(entry.meta.get("open_kfid", "")),
                                       source=f"busy:{CHANNEL}:{entry.message_id}")
                await output.send_text_message(entry.sender, busy)

            self.worker = InboxWorker(
                "wecom_kf", self.inbox, (SYNC, CHANNEL), turn, tell_busy, action_server_check(action_url(app)),
                WorkerSettings.from_env(self.settings.max_concurrent),
                needs_reply=lambda entry: entry.channel == CHANNEL)
            self.worker.start()

        async def stopping(_app: Sanic) -> None:
            if self.worker is not None:
                await self.worker.stop()

        return callback_blueprint("wecom_kf_webhook", self.settings, self.accept, started, stopping)

    def sync(self, open_kfid: str, token: str) -> None:
        """Pull every page from the saved cursor into the inbox, saving the cursor after each stored page.

        Raises WeComAPIError when WeCom keeps failing: the notice stays pending and is tried again.
        """
        while True:
            request: dict[str, Any] = {"cursor": self.inbox.cursor(open_kfid), "limit": 1000,
                                       "open_kfid": open_kfid}
            if token:
                request["token"] = token
            try:
                page = self.api.call("kf/sync_msg", request)
            except WeComAPIError as error:
                if not token or error.retryable or error.token_invalid:
                    raise
                token = ""  # an old notice's token has expired: read on without it
                continue
            for item in page.get("msg_list", []):
                self._store(item)
            if page.get("next_cursor"):
                self.inbox.save_cursor(open_kfid, str(page["next_cursor"]))
            if not int(page.get("has_more", 0)):
                return

    def _store(self, item: dict[str, Any]) -> None:
        msgid = str(item.get("msgid", ""))
        if item.get("msgtype") == "event":
            self._event(msgid, item.get("event") or {})
            return
        if item.get("origin") != CUSTOMER or item.get("msgtype") != "text" or not msgid:
            return
        body = item.get("text") or {}
        text = body.get("menu_id") or body.get("content")
        sender = str(item.get("external_userid", ""))
        if text and sender:
            self.inbox.accept(CHANNEL, msgid, sender, str(text), {"open_kfid": str(item.get("open_kfid", ""))})
            if self.worker is not None:
                self.worker.loop.call_soon_threadsafe(self.worker.wake)

    def _event(self, msgid: str, event: dict[str, Any]) -> None:
        """Act once on a system event: welcome a client entering the session; record a failed send."""
        kind = str(event.get("event_type", ""))
        user = str(event.get("external_userid", ""))
        if not msgid or not self.inbox.accept(EVENT, msgid, user or "-", kind, {}):
            return
        if kind == "enter_session" and event.get("welcome_code"):
            payload = {"code": event["welcome_code"], "msgtype": "text", "text": {"content": self.welcome}}
            enqueue(self.inbox.engine, user, "kf/send_msg_on_event", payload, text=self.welcome, kind="welcome")
        elif kind == "msg_send_fail" and event.get("fail_msgid"):
            failed_by_wecom(self.inbox.engine, str(event["fail_msgid"]),
                            f"微信客服 msg_send_fail fail_type={event.get('fail_type', '')}")
            logger.warning("kf message to %s failed (msg_send_fail)", mask_id(user))
        self.inbox.done_by_key(EVENT, msgid)

"""Rasa input channel for the web chat, mounted at /webhooks/webchat/webhook: it believes a sender only when the
web app signed it.

The web app (web/routers/chat.py) posts `{"sender": ..., "message": ...}` with the header

    X-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(WEB_CHANNEL_SECRET, f"{t}.{sender}.{sha256_hex(message)}")>

(UTF-8 throughout). A request without it, with another key, another sender or message, or a time more than
`REPLAY_WINDOW_S` away from ours is answered 401 and never reaches the tracker; without WEB_CHANNEL_SECRET the
channel is disabled and answers 503. The web app signs with its own few lines (it cannot import bot/);
tests/rasa_env/test_web_channel.py runs the real web app against this channel to keep the two in step. Like
Rasa's REST channel, the answer is the bot's messages as a JSON list. Each message carries the signed sender's
kind (`sender_kind`: staff or client) in its metadata, as the WeCom channels do, for the NLU.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels._callback import DEFAULT_MAX_BODY_BYTES, cap_request_size, configure_logging
from wecom import logs
from wecom.masking import mask_id

logger = logging.getLogger(__name__)

SECRET_VARIABLE = "WEB_CHANNEL_SECRET"
SIGNATURE_HEADER = "X-Signature"
REPLAY_WINDOW_S = 60
"""How far (seconds, either way) a signature's time may be from ours: a captured request is dead after this."""
MAX_SENDER_CHARS = 128
GUEST_PREFIX = "web-guest-"
"""Sender ids of web guests (行外客户), as web/identity.py makes them (the Rasa process cannot import web/)."""
EXTERNAL_PREFIXES = ("wm", "wo")
"""WeCom external userids (clients) start so (services/notify.py tells recipients apart the same way)."""
_HEADER = re.compile(r"t=(\d{1,12}),s=([0-9a-f]{64})")


class SignatureRefused(Exception):
    """The request does not carry a valid, current signature; the message says which part failed."""


def sign(secret: str, sender: str, timestamp: int, message: str) -> str:
    """The X-Signature value for `sender` saying `message` at `timestamp` (unix seconds).

    >>> sign("k", "zhangmin", 1700000000, "你好")[:13]
    't=1700000000,'
    """
    return f"t={timestamp},s={_mac(secret, sender, timestamp, message)}"


def _mac(secret: str, sender: str, timestamp: int, message: str) -> str:
    digest = hashlib.sha256(message.encode()).hexdigest()
    signed = f"{timestamp}.{sender}.{digest}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(secret: str, header: str | None, sender: str, message: str, now: float | None = None) -> None:
    """Return if `header` signs `sender` and `message` with `secret` within the replay window, else raise
    SignatureRefused (missing, malformed, expired or from the future, or not matching)."""
    if not header:
        raise SignatureRefused("missing")
    match = _HEADER.fullmatch(header.strip())
    if match is None:
        raise SignatureRefused("malformed")
    timestamp = int(match.group(1))
    if abs((time.time() if now is None else now) - timestamp) > REPLAY_WINDOW_S:
        raise SignatureRefused("outside the replay window")
    if not hmac.compare_digest(_mac(secret, sender, timestamp, message), match.group(2)):
        raise SignatureRefused("mismatch")


def sender_kind(sender: str) -> str:
    """What the signed sender is, for the NLU (`sender_kind` in the message metadata, as the WeCom channels send
    it): clients and guests are `client`, bank staff (WeCom member userids) `staff`.

    >>> sender_kind("zhangmin"), sender_kind("wmAbC123"), sender_kind("web-guest-0a1b2c")
    ('staff', 'client', 'client')
    """
    return "client" if sender.startswith(EXTERNAL_PREFIXES) or sender.startswith(GUEST_PREFIX) else "staff"


class WebChatInput(InputChannel):
    """POST /webhooks/webchat/webhook: a signed sender and message in, the bot's messages out."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        secret = os.environ.get(SECRET_VARIABLE, "")
        if not secret:
            logger.error("webchat channel disabled: %s is not set; /webhooks/webchat/webhook answers 503",
                         SECRET_VARIABLE)
        return cls(secret)

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("webchat_webhook", __name__)

        def refused(status: int, reason: str, request: Request, sender: str = "") -> HTTPResponse:
            logger.warning("webchat message refused from %s (sender %s): %s", request.remote_addr or request.ip,
                           mask_id(sender) or "-", reason)
            return response.json({"error": reason}, status=status)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            with logs.bound(logs.accepted_request_id(request.headers.get(logs.HEADER))):
                return await answer(request)

        async def answer(request: Request) -> HTTPResponse:
            """One signed message, under the request id the web app sent (wecom/logs.py)."""
            if not self.secret:
                return response.json({"error": "web chat channel not configured"}, status=503)
            try:
                body = request.json
            except SanicException:
                body = None
            sender = body.get("sender") if isinstance(body, dict) else None
            text = body.get("message") if isinstance(body, dict) else None
            if not isinstance(sender, str) or not isinstance(text, str) or not 0 < len(sender) <= MAX_SENDER_CHARS:
                return refused(400, "body must be JSON with a sender and a message", request)
            try:
                verify(self.secret, request.headers.get(SIGNATURE_HEADER), sender, text)
            except SignatureRefused as error:
                return refused(401, f"signature {error}", request, sender)
            except UnicodeEncodeError:  # a lone surrogate, which no signer can have hashed
                return refused(400, "body is not valid UTF-8 text", request)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                                 metadata={"sender_kind": sender_kind(sender),
                                                           logs.METADATA_KEY: logs.current_request_id()}))
            except asyncio.CancelledError:
                logger.error("webchat message from %s timed out", mask_id(sender))
            except Exception:  # like the REST channel: answer what was collected; the message text is not logged
                logger.exception("webchat message from %s failed", mask_id(sender))
            return response.json(collector.messages)

        @blueprint.listener("before_server_start")
        async def cap_process(app: Sanic, _loop: object) -> None:
            cap_request_size(app, DEFAULT_MAX_BODY_BYTES)
            configure_logging()

        return blueprint

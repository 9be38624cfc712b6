"""What both WeCom callbacks share: settings or 503, URL verification, and bad input turned into 4xx
answers that are logged without secrets or content and never reach Rasa."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from wecom.crypto import BodyTooLarge, CallbackCrypto, CallbackError
from wecom.settings import WeComSettings

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, str]], Awaitable[None]]
OnNewMessage = Callable[[Any], Awaitable[Any]]


def limited(on_new_message: OnNewMessage, max_concurrent: int) -> OnNewMessage:
    """Let at most `max_concurrent` messages run through Rasa at once.

    Rasa's NLU runs on the event loop; with dozens of messages in flight, new callbacks wait behind them
    for their 200. Admitting a few at a time keeps acknowledgements fast without slowing replies.
    """
    semaphore = asyncio.Semaphore(max_concurrent)

    async def run(message: Any) -> Any:
        async with semaphore:
            return await on_new_message(message)

    return run


def crypto_for(settings: WeComSettings) -> CallbackCrypto:
    return CallbackCrypto(
        settings.token, settings.aes_key, settings.corp_id,
        max_clock_skew_s=settings.max_clock_skew_s, max_body_bytes=settings.max_body_bytes,
    )


def callback_blueprint(
    name: str, settings: WeComSettings | None, handle: Handler, tasks: set[asyncio.Task[Any]]
) -> Blueprint:
    """GET verifies the URL, POST decrypts and hands the fields to `handle` in the background (empty 200 now)."""
    blueprint = Blueprint(name, __name__)
    crypto = crypto_for(settings) if settings else None

    def disabled() -> HTTPResponse:
        logger.error("%s callback called but WeCom is not configured (set WECOM_CORP_ID and the secrets)", name)
        return response.text("WeCom channel not configured", status=503)

    def rejected(error: CallbackError, request: Request) -> HTTPResponse:
        logger.warning("%s callback rejected from %s: %s (%s)", name, request.remote_addr or request.ip,
                       error.__class__.__name__, error)
        return response.text("", status=error.status)

    @blueprint.route("/", methods=["GET"])
    async def verify(request: Request) -> HTTPResponse:
        if crypto is None:
            return disabled()
        args = request.args
        if "echostr" not in args:
            return response.json({"status": "ok"})
        try:
            plain = crypto.verify_url(args.get("msg_signature", ""), args.get("timestamp", ""),
                                      args.get("nonce", ""), args.get("echostr", ""))
        except CallbackError as error:
            return rejected(error, request)
        return response.text(plain)

    @blueprint.route("/", methods=["POST"])
    async def receive(request: Request) -> HTTPResponse:
        if crypto is None:
            return disabled()
        args = request.args
        try:
            declared = int(request.headers.get("content-length") or 0)
            if declared > crypto.max_body_bytes:
                raise BodyTooLarge("content-length: over the size limit")
            fields = crypto.decrypt_callback(args.get("msg_signature", ""), args.get("timestamp", ""),
                                             args.get("nonce", ""), request.body or b"")
        except CallbackError as error:
            return rejected(error, request)
        except ValueError:
            return rejected(CallbackError("content-length: not a number"), request)
        spawn(tasks, handle(fields), name)
        return response.text("", status=200)

    return blueprint


def spawn(tasks: set[asyncio.Task[Any]], coroutine: Coroutine[Any, Any, None], name: str) -> None:
    """Run in the background, keeping a reference (asyncio only holds weak ones) and logging failures."""
    task = asyncio.ensure_future(coroutine)
    tasks.add(task)

    def done(finished: asyncio.Task[Any]) -> None:
        tasks.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            logger.error("%s background processing failed: %s", name, finished.exception().__class__.__name__)

    task.add_done_callback(done)

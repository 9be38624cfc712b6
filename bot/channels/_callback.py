"""What both WeCom callbacks share: settings or 503, URL verification, bad input turned into 4xx answers
that are logged without secrets or content and never reach Rasa, and the rule that a message is stored in
the inbox before WeCom gets its 200 (a database that cannot store it answers 503, so WeCom retries).

Body size is bounded twice, so neither layer relies on the other:
- the POST route streams its body and reads at most the callback limit (`WeComSettings.max_body_bytes`,
  64 KB): a Content-Length over it, or chunks (Transfer-Encoding: chunked) whose declared sizes add up past
  it, are answered 413 before those bytes are read, and the connection is closed;
- before the server starts, Sanic's process-wide REQUEST_MAX_SIZE (100 MB by default; Rasa builds the app)
  is lowered to the largest callback limit, so no route of the Rasa process (REST channel, HTTP API)
  buffers more. `SANIC_REQUEST_MAX_SIZE` in the environment, which Sanic reads into its config, can only
  lower it further.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Awaitable, Callable

from sanic import Blueprint, Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from wecom import logs, metrics
from wecom.crypto import BodyTooLarge, CallbackCrypto, CallbackError
from wecom.settings import WeComSettings

DEFAULT_MAX_BODY_BYTES = WeComSettings.max_body_bytes

logger = logging.getLogger(__name__)

Accept = Callable[[dict[str, str]], bool]  # stores a callback's message durably; False: stored before (a retry)
Listener = Callable[[Sanic], Awaitable[None]]


def crypto_for(settings: WeComSettings) -> CallbackCrypto:
    return CallbackCrypto(
        settings.token, settings.aes_key, settings.corp_id,
        max_clock_skew_s=settings.max_clock_skew_s, max_body_bytes=settings.max_body_bytes,
    )


def callback_blueprint(
    name: str, settings: WeComSettings | None, accept: Accept, started: Listener, stopping: Listener
) -> Blueprint:
    """GET verifies the URL; POST decrypts and stores the message (`accept`) before its empty 200.

    `started` runs once the server (and Rasa's agent) is up, to start the inbox worker; `stopping` before it
    stops. Each POST is counted by outcome (wecom/metrics.py) under the channel `name` without "_webhook".
    """
    blueprint = Blueprint(name, __name__)
    crypto = crypto_for(settings) if settings else None
    channel = name.removesuffix("_webhook")

    def counted(outcome: str) -> None:
        metrics.CALLBACKS.labels(channel, outcome).inc()

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

    @blueprint.route("/", methods=["POST"], stream=True)
    async def receive(request: Request) -> HTTPResponse:
        with logs.bound(logs.accepted_request_id(request.headers.get(logs.HEADER))):
            return await store(request)

    async def store(request: Request) -> HTTPResponse:
        """The POST, with its request id bound: the stored message keeps it (wecom/inbox.py)."""
        elapsed = metrics.timer()
        if crypto is None:
            counted("error")
            return disabled()
        args = request.args
        try:
            body = await read_body(request, crypto.max_body_bytes)
            fields = crypto.decrypt_callback(args.get("msg_signature", ""), args.get("timestamp", ""),
                                             args.get("nonce", ""), body)
        except CallbackError as error:
            counted("refused")
            return rejected(error, request)
        try:
            stored = await logs.in_thread(accept, fields)
        except SQLAlchemyError as error:  # not stored, so not acknowledged: WeCom will retry
            logger.error("%s callback not stored (%s): answered 503 for WeCom to retry", name,
                         error.__class__.__name__)
            counted("error")
            return response.text("", status=503)
        counted("duplicate" if stored is False else "accepted")
        logger.info("%s callback %s", name, "was a retry of a stored message" if stored is False else "stored")
        metrics.CALLBACK_ACK_SECONDS.labels(channel).observe(elapsed())
        return response.text("", status=200)

    @blueprint.listener("before_server_start")
    async def cap_process(app: Sanic, _loop: object) -> None:
        cap_request_size(app, crypto.max_body_bytes if crypto else DEFAULT_MAX_BODY_BYTES)
        configure_logging()

    @blueprint.listener("after_server_start")
    async def start_worker(app: Sanic, _loop: object) -> None:
        if crypto is not None:
            await started(app)

    @blueprint.listener("before_server_stop")
    async def stop_worker(app: Sanic, _loop: object) -> None:
        if crypto is not None:
            await stopping(app)

    return blueprint


METRICS_TOKEN_VARIABLE = "RASA_AUTH_TOKEN"
"""The internal secret a scrape of the Rasa process's /metrics must carry (`Authorization: Bearer …`)."""


def add_metrics_route(blueprint: Blueprint) -> None:
    """GET `metrics` under the blueprint (/webhooks/wecom/metrics): this process's metrics, only for a request
    with `Authorization: Bearer <RASA_AUTH_TOKEN>` (constant-time check; 401 otherwise, 503 without the token).

    The edge proxy routes only the callback paths themselves, so this is reached on loopback only.
    """

    @blueprint.route("/metrics", methods=["GET"])
    async def scrape(request: Request) -> HTTPResponse:
        token = os.environ.get(METRICS_TOKEN_VARIABLE, "")
        if not token:
            return response.text("metrics need RASA_AUTH_TOKEN", status=503)
        if not bearer_matches(request.headers.get("authorization"), token):
            logger.warning("metrics refused from %s without the internal secret", request.remote_addr or request.ip)
            return response.text("", status=401)
        body, content_type = await asyncio.get_running_loop().run_in_executor(None, metrics.exposition)
        return response.raw(body, content_type=content_type)


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an Authorization header is exactly `Bearer <token>` (constant time; never for an empty token).

    >>> bearer_matches("Bearer s3cret", "s3cret"), bearer_matches("Bearer other", "s3cret"), bearer_matches(None, "x")
    (True, False, False)
    """
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].encode(), token.encode())


async def read_body(request: Request, limit: int) -> bytes:
    """The body of a streaming route, read up to `limit` bytes and no further (BodyTooLarge past it).

    Sanic lifts its size limit for streaming routes; setting it back to `limit` (or the process cap, if the
    environment made that smaller) makes Sanic refuse a larger Content-Length, or a chunk that takes the
    total past it, before reading those bytes.
    """
    stream = request.stream
    if stream is None:  # no body at all
        return request.body or b""
    limit = min(limit, request.app.config.REQUEST_MAX_SIZE)
    stream.request_max_size = limit
    parts: list[bytes] = []
    size = 0
    try:
        async for part in stream:
            size += len(part)
            if size > limit:  # Sanic counts declared sizes already; this only restates the rule
                raise PayloadTooLarge("body: over the size limit")
            parts.append(part)
    except PayloadTooLarge:
        raise BodyTooLarge("body: over the size limit") from None
    return b"".join(parts)


def configure_logging() -> None:
    """The Rasa process's log lines as every service of ours writes them (wecom/logs.py: JSON in production,
    request ids, personal data masked), set once Rasa has set up its own (its coloredlogs console handler
    gives way). Each channel calls it before the server starts; a second call changes nothing."""
    logs.configure("rasa")


def cap_request_size(app: Sanic, limit: int) -> None:
    """Lower Sanic's REQUEST_MAX_SIZE for the whole process to the largest callback limit registered so far.

    Each WeCom channel calls this before the server starts; the value Sanic had before the first call (its
    default or SANIC_REQUEST_MAX_SIZE) stays an upper bound, so the environment can only make it smaller.
    """
    if not hasattr(app.ctx, "request_max_size_before_wecom"):
        app.ctx.request_max_size_before_wecom = app.config.REQUEST_MAX_SIZE
        app.ctx.wecom_max_body_bytes = 0
    app.ctx.wecom_max_body_bytes = max(app.ctx.wecom_max_body_bytes, limit)
    app.config.REQUEST_MAX_SIZE = min(app.ctx.request_max_size_before_wecom, app.ctx.wecom_max_body_bytes)
    logger.info("request bodies capped at %d bytes for this process", app.config.REQUEST_MAX_SIZE)

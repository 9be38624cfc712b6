"""One request id per message, from the WeCom callback through Rasa, the action server and the WeCom send, and
log lines as JSON objects (one per line) that carry it, with personal data masked.

The id is born where a request enters: the edge proxy's `X-Request-ID` (nginx's `$request_id`) or, without
one, a new id. It is bound to the running context (`bound`), stored with the inbox message (wecom/inbox.py),
handed to Rasa in the message metadata, read back from the tracker by the action server, and stored with each
outbox row (wecom/outbox.py) for the sender to log. Work handed to a thread keeps it when started with
`in_thread`.

Every process calls `configure(service)` once: `LOG_FORMAT=json` (the default of the production profile,
`APP_ENV=production`) writes JSON lines, `text` the readable lines of the demo. Either way, phone numbers,
ID-card and bank-card numbers in a message are masked before it is written (`mask_text`); ids of WeCom users
are masked where they are logged (wecom/masking.py), and secrets and message content are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

HEADER = "X-Request-ID"
METADATA_KEY = "request_id"
"""Where a message's request id travels: inbox meta, Rasa message metadata, the tracker's latest message."""

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id() -> str:
    """A fresh id: 32 hex characters, as nginx's `$request_id`.

    >>> len(new_request_id()), new_request_id() != new_request_id()
    (32, True)
    """
    return secrets.token_hex(16)


def accepted_request_id(value: object) -> str:
    """`value` when it is a well-formed id (8–64 letters, digits or `._:-`), else a new one: an id from outside
    never carries text into a log line.

    >>> accepted_request_id("4f1c2a9d0b7e4e21a3c5d6e7f8091a2b")
    '4f1c2a9d0b7e4e21a3c5d6e7f8091a2b'
    >>> len(accepted_request_id("x\\n{injected}")), len(accepted_request_id(None))
    (32, 32)
    """
    if isinstance(value, str) and _VALID.match(value):
        return value
    return new_request_id()


def current_request_id() -> str:
    """The id bound to the running context ("" outside a request)."""
    return REQUEST_ID.get()


@contextlib.contextmanager
def bound(request_id: str) -> Iterator[str]:
    """Bind `request_id` for the code inside the block (and the tasks it starts)."""
    token = REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        REQUEST_ID.reset(token)


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run `function(*args)` in the loop's default executor, keeping the request id (run_in_executor alone
    drops the context)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(None, partial(context.run, function, *args))


_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![\dA-Za-z])")
_CARD = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """A log message with mainland phone numbers, ID-card and bank-card numbers masked.

    >>> mask_text("回拨 13812345678，身份证 11010119900307123X，卡号 6222021234567890123")
    '回拨 138****5678，身份证 110***********123X，卡号 6222***********0123'
    >>> mask_text("outbox 12 to zh******01: sent in 35 ms")
    'outbox 12 to zh******01: sent in 35 ms'
    """
    text = _PHONE.sub(r"\1****\2", text)
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)
    return _CARD.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 8) + m.group(2), text)


class RequestIdFilter(logging.Filter):
    """Give every record the bound request id (`record.request_id`, "-" outside a request) and mask its
    message (the arguments are merged into it first, so nothing unmasked is formatted later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, request_id, message (and the exception)."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "service": self.service, "logger": record.name,
            "request_id": REQUEST_ID.get() or None,
            "message": record.getMessage(),  # masked already by RequestIdFilter, which `handler` attaches
        }
        if record.exc_info:
            entry["exception"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_format(environ: dict[str, str] | None = None) -> str:
    """`json` or `text`: LOG_FORMAT when set, else `json` for the production profile and `text` for the demo.

    >>> log_format({"APP_ENV": "production"}), log_format({}), log_format({"LOG_FORMAT": "JSON"})
    ('json', 'text', 'json')
    """
    env = os.environ if environ is None else environ
    chosen = (env.get("LOG_FORMAT") or ("json" if env.get("APP_ENV") == "production" else "text")).lower()
    if chosen not in ("json", "text"):
        raise ValueError("LOG_FORMAT must be json or text")
    return chosen


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]  # not subscriptable at run time on 3.10
    """The handler `configure` installs (its own class, so that it is found again and replaced)."""


def handler(service: str, fmt: str | None = None) -> logging.Handler:
    """A stream handler (stderr) writing this service's lines in the chosen format, ids and masks applied."""
    stream = _Handler()
    stream.addFilter(RequestIdFilter())
    chosen = fmt or log_format()
    stream.setFormatter(JsonFormatter(service) if chosen == "json" else logging.Formatter(TEXT_FORMAT))
    return stream


ADOPTED = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "uvicorn", "uvicorn.error",
           "uvicorn.access", "jieba")
"""Loggers that keep console handlers of their own (servers; jieba, which also logs at DEBUG): `configure`
sends their records to the root's handler, at `level` or above."""


def configure(service: str, level: int = logging.INFO, fmt: str | None = None) -> None:
    """Route the root logger, and so every library's records, through one `handler(service)`.

    Console handlers set up before (`logging.basicConfig`, Rasa's coloredlogs, an earlier `configure`) give
    way, and the servers' own loggers (`ADOPTED`) lose their handlers and propagate to the root; other
    handlers (a test runner's capture, a file) stay. Calling it again only replaces the handler.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _Handler) or (isinstance(old, logging.StreamHandler)
                                         and getattr(old, "stream", None) in (sys.stderr, sys.stdout)):
            root.removeHandler(old)
    root.addHandler(handler(service, fmt))
    root.setLevel(level)
    for name in ADOPTED:
        adopted = logging.getLogger(name)
        for old in list(adopted.handlers):
            if isinstance(old, logging.StreamHandler):
                adopted.removeHandler(old)
        adopted.propagate = True
        if adopted.level and adopted.level < level:
            adopted.setLevel(level)

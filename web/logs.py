"""The web app's log lines: access-log lines without secrets (link tokens in paths and every query string are
masked before uvicorn writes them: sign-in codes and states travel in query strings; proposal, statement, push,
hand-off and sign-in-link tokens in paths), and every line of a request under its request id (wecom/logs.py:
the edge's X-Request-ID or a new one, echoed in the answer and passed on to Rasa), JSON in production."""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wecom import logs

TOKEN_PATH = re.compile(r"^(/(?:proposals|statements|pushes|handoffs|auth/link)/)[^/?#]+", re.IGNORECASE)


def masked_path(path: str) -> str:
    """A request path as the access log may show it.

    >>> masked_path("/proposals/AbC123xyz/charts/pie.png"), masked_path("/auth/wecom/callback?code=x&state=y")
    ('/proposals/{token}/charts/pie.png', '/auth/wecom/callback?…')
    >>> masked_path("/pushes/tok/confirm"), masked_path("/health")
    ('/pushes/{token}/confirm', '/health')
    """
    route, question, _ = path.partition("?")
    return TOKEN_PATH.sub(r"\1{token}", route) + ("?…" if question else "")


class MaskTokens(logging.Filter):
    """Rewrite uvicorn's access-log record (client, method, path, HTTP version, status) in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5 and isinstance(record.args[2], str):
            client, method, path, version, status = record.args
            record.args = (client, method, masked_path(path), version, status)
        return True


class RequestIds:
    """ASGI middleware: bind the request's id (the edge's `X-Request-ID` when well formed, else a new one) for
    everything the request runs, uvicorn's access line included, and return it in the answer's header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(logs.HEADER.lower().encode(), b"")
        request_id = logs.accepted_request_id(sent.decode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with logs.bound(request_id):
            await self.app(scope, receive, send_with_id)


def install() -> None:
    """Attach the mask to uvicorn's access logger and route uvicorn's and the app's lines through the
    project's handler (wecom/logs.py; idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskTokens) for f in access.filters):
        access.addFilter(MaskTokens())
    logs.configure("web")

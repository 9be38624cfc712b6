"""Access-log lines without secrets: link tokens in paths and every query string are masked before uvicorn
writes them (sign-in codes and states travel in query strings; proposal, statement, push, hand-off and sign-in-link
tokens in paths)."""

from __future__ import annotations

import logging
import re

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


def install() -> None:
    """Attach the filter to uvicorn's access logger (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskTokens) for f in access.filters):
        access.addFilter(MaskTokens())

"""Sign-in links for clients: how a client proves on a web page that they are the person the bot wrote to.

The bot sends a client (in WeCom, to their external userid) a link `PUBLIC_BASE_URL/auth/link/<token>`. Opening
it once signs that browser in as the client and lands on the page the link was made for (a push page, say).

- The token is `secrets.token_urlsafe(32)` (256 random bits); only its SHA-256 is stored, so the table alone
  does not let anyone sign in.
- It is valid for `LINK_TTL` (15 minutes) and for one use: redeeming is a conditional UPDATE, so of two
  simultaneous clicks only one signs in.
- It is bound to the client and to the external userid they had when it was made: if the client's WeCom
  binding has changed since, the link leads nowhere.
- The landing page is a local path of the web app (never another site: no open redirect).

The web app redeems it in web/routers/links.py; a push card carries one (services/pushes.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bank.directory import who_is
from bank.models import Client
from bank.sign_in_links import add_link, find_link, use_link
from services.links import public_url

LINK_TTL = dt.timedelta(minutes=15)
"""How long a sign-in link is valid after it is made."""
LINK_PREFIX = "/auth/link/"
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) makes
MAX_NEXT_PATH = 300


class SignInLinkError(LookupError):
    """A sign-in link that does not sign anyone in. Carries the link's client and landing page when it is known
    (expired or used), never the token."""

    def __init__(self, message: str, *, client_id: int | None = None, sender_id: str | None = None,
                 next_path: str | None = None) -> None:
        super().__init__(message)
        self.client_id, self.sender_id, self.next_path = client_id, sender_id, next_path


class LinkNotFound(SignInLinkError):
    """No link has this token (or the token is malformed, or the client's WeCom binding changed since)."""


class LinkExpired(SignInLinkError):
    """The link exists but its time (LINK_TTL) has passed."""


class LinkUsed(SignInLinkError):
    """The link has already been used once."""


class UnsafeNextPath(ValueError):
    """The landing page is not a local path of the web app."""


class NotLinkable(ValueError):
    """The client is unknown or has no WeCom external userid the link could be bound to."""


def token_hash(token: str) -> str:
    """The SHA-256 of a token in hex: what the table keeps instead of the token.

    >>> token_hash("abc")
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def local_path(path: str) -> str:
    """`path` when it is a path of this web app (starting with one "/", no scheme or host, no backslash or
    control character, at most MAX_NEXT_PATH characters); UnsafeNextPath otherwise.

    >>> local_path("/pushes/abc")
    '/pushes/abc'
    >>> for bad in ("https://evil.example/", "//evil.example/x", "/\\\\evil.example", "pushes/abc", "/a\\nb"):
    ...     try:
    ...         local_path(bad)
    ...     except UnsafeNextPath:
    ...         print("refused")
    refused
    refused
    refused
    refused
    refused
    """
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise UnsafeNextPath("next_path: must be a local path starting with a single /")
    if len(path) > MAX_NEXT_PATH:
        raise UnsafeNextPath(f"next_path: at most {MAX_NEXT_PATH} characters")
    if "\\" in path or any(ord(c) < 0x21 or ord(c) == 0x7F for c in path):
        raise UnsafeNextPath("next_path: no backslash, space or control character")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        raise UnsafeNextPath("next_path: must not name a scheme or host")
    return path


def link_path(token: str) -> str:
    """The web app's path that redeems `token`.

    >>> link_path("t")
    '/auth/link/t'
    """
    return LINK_PREFIX + token


def client_link(session: Session, client_id: int, next_path: str, now: dt.datetime) -> str:
    """Make a one-time sign-in link for the client `client_id` that lands on `next_path`; returns the full URL
    (`PUBLIC_BASE_URL/auth/link/<token>`). The caller commits (with the message that carries the link).

    Raises UnsafeNextPath for a landing page off this web app, NotLinkable for an unknown client or one without
    a WeCom external userid registered in the directory.
    """
    path = local_path(next_path)
    client = session.get(Client, client_id)
    sender_id = client.wecom_external_userid if client is not None else None
    identity = who_is(session, sender_id) if sender_id else None
    if identity is None or identity.client_id != client_id:
        raise NotLinkable(f"client {client_id}: no WeCom external userid to bind a sign-in link to")
    assert sender_id is not None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    add_link(session, token_hash=token_hash(token), client_id=client_id, sender_id=sender_id, next_path=path,
             created_at=now, expires_at=now + LINK_TTL)
    return public_url(link_path(token))


def redeem(session: Session, token: str, now: dt.datetime) -> tuple[str, str]:
    """Use the link `token` once: returns (sender_id, next_path), the identity to sign in as (the client's
    external userid) and the local page to land on. The caller commits.

    Raises LinkNotFound (unknown or malformed token, or the client's WeCom binding changed since the link was
    made), LinkExpired (older than LINK_TTL) or LinkUsed (used before; of two simultaneous uses, one wins).
    """
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise LinkNotFound("no such sign-in link")
    link = find_link(session, token_hash(token))
    if link is None:
        raise LinkNotFound("no such sign-in link")
    known = {"client_id": link.client_id, "sender_id": link.sender_id, "next_path": link.next_path}
    if link.used_at is not None:
        raise LinkUsed("sign-in link already used", **known)
    if now > link.expires_at:
        raise LinkExpired("sign-in link expired", **known)
    identity = who_is(session, link.sender_id)
    if identity is None or identity.client_id != link.client_id:
        raise LinkNotFound("the client's WeCom binding changed since the link was made")
    try:
        path = local_path(link.next_path)
    except UnsafeNextPath:
        path = "/"
    if not use_link(session, link.id, now):  # somebody else used it a moment ago (or it just expired)
        if link.used_at is not None:
            raise LinkUsed("sign-in link already used", **known)
        raise LinkExpired("sign-in link expired", **known)
    return link.sender_id, path

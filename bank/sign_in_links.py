"""Sign-in links: the records behind the one-time links the bot sends a client (rules: services/sign_in.py).

A row holds the SHA-256 of the link's token (never the token), the client and the sender id it signs in as,
the page it lands on, and when it expires and was used. Using a link is a conditional UPDATE, so of two
simultaneous clicks only one wins.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bank.models import SignInLink

HASH_LENGTH = 64


def add_link(session: Session, *, token_hash: str, client_id: int, sender_id: str, next_path: str,
             created_at: dt.datetime, expires_at: dt.datetime) -> SignInLink:
    """Store a new link (flushed, so it has an id).

    Raises
    ------
    ValueError
        The hash is not 64 hex digits, the sender id or path is empty or too long, or the link would expire
        no later than it is made.
    """
    if len(token_hash) != HASH_LENGTH or any(c not in "0123456789abcdef" for c in token_hash):
        raise ValueError("token_hash: must be a SHA-256 in lower-case hex")
    if not sender_id or len(sender_id) > 64:
        raise ValueError("sender_id: must be 1 to 64 characters")
    if not next_path or len(next_path) > 300:
        raise ValueError("next_path: must be 1 to 300 characters")
    if expires_at <= created_at:
        raise ValueError("expires_at: must be later than created_at")
    link = SignInLink(token_hash=token_hash, client_id=client_id, sender_id=sender_id, next_path=next_path,
                      created_at=created_at, expires_at=expires_at)
    session.add(link)
    session.flush()
    return link


def find_link(session: Session, token_hash: str) -> SignInLink | None:
    """The link whose token has this hash, or None."""
    return session.execute(select(SignInLink).where(SignInLink.token_hash == token_hash)).scalar_one_or_none()


def use_link(session: Session, link_id: int, now: dt.datetime) -> bool:
    """Mark the link used at `now` if it is still unused and unexpired; True only for the one caller that did."""
    won = session.execute(update(SignInLink).where(
        SignInLink.id == link_id, SignInLink.used_at.is_(None), SignInLink.expires_at >= now,
    ).values(used_at=now)).rowcount == 1
    link = session.get(SignInLink, link_id)
    if link is not None:
        session.refresh(link)
    return won


def purge_links(session: Session, expired_before: dt.datetime) -> int:
    """Delete links that expired before `expired_before` (used or not); returns how many went."""
    return session.execute(delete(SignInLink).where(SignInLink.expires_at < expired_before)).rowcount or 0

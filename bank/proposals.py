"""Proposals: a check-up or plan result saved with an unguessable, expiring share token.

The payload is display-ready JSON (see the schema in `create_proposal`); the web app renders it at
`/proposals/{token}` and draws each chart at `/proposals/{token}/charts/{name}.png`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.idempotency import recall, remember
from bank.models import PROPOSAL_KINDS, Proposal
from calc import clock

DEFAULT_TTL_DAYS = 30
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEFAULT_PUBLIC_BASE_URL = "http://localhost:8000"


class ProposalError(LookupError):
    """A share token does not lead to a proposal that may be shown."""


class ProposalNotFound(ProposalError):
    """No proposal has this token (or the token is malformed)."""


class ProposalExpired(ProposalError):
    """The proposal exists but its share link has expired."""


def _now() -> dt.datetime:
    return clock.now()


def create_proposal(session: Session, *, kind: str, payload: dict[str, Any], client_id: int | None = None,
                    created_by_id: int | None = None, now: dt.datetime | None = None,
                    ttl_days: int = DEFAULT_TTL_DAYS, request_key: str | None = None) -> Proposal:
    """Save a proposal and give it a fresh share token (flushed, so `id` and `share_token` are set).

    With `request_key` (bank/idempotency.py), a second call with the same key returns the first proposal.

    Payload schema: ``title``, ``subject`` (masked name or 访客), ``summary`` (list of lines), ``sections``
    (``{"heading", "rows"}`` or ``{"heading", "text"}``), ``charts`` (``{"name", "kind", "title", "data"}``),
    ``assumptions`` (``[label, value]`` pairs), ``products`` and ``risk_notice``.

    Raises
    ------
    ValueError
        `kind` is not one of PROPOSAL_KINDS, `ttl_days` is not positive, or the payload has no title.
    """
    if kind not in PROPOSAL_KINDS:
        raise ValueError(f"kind: must be one of {', '.join(PROPOSAL_KINDS)}, got {kind!r}")
    if ttl_days <= 0:
        raise ValueError("ttl_days: must be positive")
    if not isinstance(payload, dict) or not payload.get("title"):
        raise ValueError("payload: needs at least a title")
    earlier = recall(session, request_key)
    if earlier is not None and (found := session.get(Proposal, earlier.get("proposal_id"))) is not None:
        return found
    now = now or _now()
    proposal = Proposal(kind=kind, payload=payload, client_id=client_id, created_by_id=created_by_id,
                        share_token=secrets.token_urlsafe(24), created_at=now,
                        expires_at=now + dt.timedelta(days=ttl_days))
    session.add(proposal)
    session.flush()
    remember(session, request_key, {"proposal_id": proposal.id}, now)
    return proposal


def find_proposal(session: Session, token: str, now: dt.datetime | None = None) -> Proposal:
    """The proposal behind `token`.

    Raises
    ------
    ProposalNotFound
        The token is malformed or unknown.
    ProposalExpired
        The proposal's link expired.
    """
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise ProposalNotFound(token)
    proposal = session.scalars(select(Proposal).where(Proposal.share_token == token)).one_or_none()
    if proposal is None:
        raise ProposalNotFound(token)
    if proposal.expires_at <= (now or _now()):
        raise ProposalExpired(token)
    return proposal


def proposal_path(token: str) -> str:
    """The page of a proposal.

    >>> proposal_path("abc")
    '/proposals/abc'
    """
    return f"/proposals/{token}"


def chart_path(token: str, name: str) -> str:
    """The PNG of one chart of a proposal.

    >>> chart_path("abc", "allocation")
    '/proposals/abc/charts/allocation.png'
    """
    return f"/proposals/{token}/charts/{name}.png"

"""Advisor tags (客户标签): an advisor's own short labels on their own clients ("高潜", "待回访").

Tags live within the advisor's scope: an advisor adds, removes and reads only their own tags on their own
clients; a manager reads the tags their team's advisors put on the team's clients, and writes none. A client
outside the viewer's scope raises bank.access.AccessDenied (the message never describes that client). Tags are
normalised (whitespace trimmed and collapsed, full-width spaces too, at most MAX_TAG_LENGTH characters, no
control characters) and a bad one raises TagInputError naming the field, like calc's input errors.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bank.access import AccessDenied, require_client, visible_client_ids
from bank.clients import phone_tail
from bank.directory import Identity
from bank.inserts import insert_once
from bank.models import Client, ClientTag, Staff
from calc import clock
from calc.errors import CalcInputError

MAX_TAG_LENGTH = 12
MAX_TAGS_PER_CLIENT = 20


class TagInputError(CalcInputError):
    """A tag that cannot be stored as given (empty, too long, control characters): names the field."""


class TagsReadOnly(PermissionError):
    """The viewer may read tags but not write them (a manager), or may not use tags at all (a client)."""

    def __init__(self, role: str) -> None:
        super().__init__(f"role: a {role} cannot add or remove tags")
        self.role = role


@dataclass(frozen=True)
class TaggedClient:
    """A client carrying a tag: who, and which advisor put it there (for a manager's view)."""

    client_id: int
    name: str
    phone_tail: str
    advisor_name: str


def normalise_tag(raw: object) -> str:
    """The tag as stored: NFKC (full-width letters and spaces folded), whitespace trimmed and collapsed, 1-12
    characters, no control characters; surrounding quotes and #s are dropped.

    >>> normalise_tag("  高潜 "), normalise_tag("＃ＶＩＰ"), normalise_tag("「待回访」"), normalise_tag("养老  客户")
    ('高潜', 'VIP', '待回访', '养老 客户')
    >>> normalise_tag("a\\x00b")
    Traceback (most recent call last):
    ...
    services.tags.TagInputError: tag: contains control characters
    """
    if not isinstance(raw, str):
        raise TagInputError("tag", "must be text", "标签应为文字")
    text = unicodedata.normalize("NFKC", raw)
    if any(unicodedata.category(ch) in ("Cc", "Cf") and not ch.isspace() for ch in text):
        raise TagInputError("tag", "contains control characters", "标签不能包含控制字符")
    text = " ".join(text.split()).strip("\"'“”‘’「」『』【】#").strip()
    if not text:
        raise TagInputError("tag", "is empty", "标签不能为空")
    if len(text) > MAX_TAG_LENGTH:
        raise TagInputError("tag", f"is longer than {MAX_TAG_LENGTH} characters",
                            f"标签最多{MAX_TAG_LENGTH}个字")
    return text


def _writer(session: Session, viewer: Identity | None, client_id: int) -> int:
    """The advisor's staff id when `viewer` may tag client `client_id`: their own client only."""
    if viewer is None or viewer.role != "advisor" or viewer.staff_id is None:
        raise TagsReadOnly(viewer.role if viewer else "guest")
    owner = session.scalar(select(Client.advisor_id).where(Client.id == client_id))
    if owner != viewer.staff_id:
        raise AccessDenied(client_id)
    return viewer.staff_id


def _readable(viewer: Identity | None) -> object:
    """A WHERE clause for the tags `viewer` may read: an advisor's own, a manager's team's (on visible clients)."""
    if viewer is None or viewer.role not in ("advisor", "manager") or viewer.staff_id is None:
        raise TagsReadOnly(viewer.role if viewer else "guest")
    if viewer.role == "advisor":
        return (ClientTag.advisor_id == viewer.staff_id) & ClientTag.client_id.in_(visible_client_ids(viewer))
    return ClientTag.client_id.in_(visible_client_ids(viewer)) & ClientTag.advisor_id.in_(
        select(Staff.id).where(Staff.team_id == select(Staff.team_id).where(Staff.id == viewer.staff_id)
                               .scalar_subquery()))


def add_tag(session: Session, viewer: Identity | None, client_id: int, tag: str,
            now: dt.datetime | None = None) -> tuple[str, bool]:
    """Put `tag` on client `client_id` for advisor `viewer`: (the normalised tag, whether it was new).

    Raises TagInputError (bad tag, or too many on this client), TagsReadOnly (not an advisor) or AccessDenied
    (not the advisor's client). Adding a tag twice is not an error: the second time is reported as not new.
    """
    advisor_id = _writer(session, viewer, client_id)
    text = normalise_tag(tag)
    existing = set(session.scalars(select(ClientTag.tag).where(ClientTag.client_id == client_id,
                                                              ClientTag.advisor_id == advisor_id)))
    if text in existing:
        return text, False
    if len(existing) >= MAX_TAGS_PER_CLIENT:
        raise TagInputError("tag", f"a client carries at most {MAX_TAGS_PER_CLIENT} tags",
                            f"一位客户最多{MAX_TAGS_PER_CLIENT}个标签，请先去掉不用的")
    values = {"client_id": client_id, "advisor_id": advisor_id, "tag": text, "created_at": now or clock.now()}
    # The same tag added at the same moment (a replayed turn) is not new: the unique key decides.
    return text, insert_once(session, ClientTag, values, ("client_id", "advisor_id", "tag"))


def remove_tag(session: Session, viewer: Identity | None, client_id: int, tag: str) -> bool:
    """Take `tag` off client `client_id` (the advisor's own tag): whether there was one to remove."""
    advisor_id = _writer(session, viewer, client_id)
    text = normalise_tag(tag)
    result = session.execute(delete(ClientTag).where(ClientTag.client_id == client_id,
                                                     ClientTag.advisor_id == advisor_id, ClientTag.tag == text))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def tags_of(session: Session, viewer: Identity | None, client_id: int) -> list[str]:
    """The tags `viewer` may read on client `client_id`, oldest first (AccessDenied outside their scope)."""
    where = _readable(viewer)
    require_client(session, viewer, client_id)
    tags = session.scalars(select(ClientTag.tag).where(where, ClientTag.client_id == client_id)
                           .order_by(ClientTag.created_at, ClientTag.id))
    return list(dict.fromkeys(tags))


def clients_with_tag(session: Session, viewer: Identity | None, tag: str) -> list[TaggedClient]:
    """The viewer's clients carrying `tag` (a manager: the team's, with the advisor who tagged them)."""
    text = normalise_tag(tag)
    rows = session.execute(
        select(Client.id, Client.name, Client.phone, Staff.name).join(ClientTag, ClientTag.client_id == Client.id)
        .join(Staff, Staff.id == ClientTag.advisor_id)
        .where(_readable(viewer), ClientTag.tag == text).order_by(Client.id, Staff.id)).all()
    seen: dict[int, TaggedClient] = {}
    for client_id, name, phone, advisor in rows:
        seen.setdefault(client_id, TaggedClient(client_id, name, phone_tail(phone), advisor))
    return list(seen.values())


def tag_counts(session: Session, viewer: Identity | None) -> dict[str, int]:
    """Each tag the viewer may read, with how many clients carry it (most used first)."""
    rows = session.execute(select(ClientTag.tag, ClientTag.client_id).where(_readable(viewer))).all()
    counts: dict[str, set[int]] = {}
    for tag, client_id in rows:
        counts.setdefault(tag, set()).add(client_id)
    return dict(sorted(((t, len(c)) for t, c in counts.items()), key=lambda kv: (-kv[1], kv[0])))

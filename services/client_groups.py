"""A group of clients named by a segment or by one of the viewer's tags ("沉睡客户", "高潜"), within the viewer's
scope: what prospects (`among=`), pushes (`client_ids`) and briefings (`briefing_among`) select by.

A segment's name wins over a tag spelled the same, so "沉睡客户" always means the rule; a tag is matched only
among the tags the viewer may read (an advisor's own, a manager's team's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy.orm import Session

from bank.directory import Identity
from services.briefings import Briefing, Section
from services.segments import find_segment, visible_segment_members
from services.settings import Settings
from services.tags import TagsReadOnly, clients_with_tag, tag_counts


@dataclass(frozen=True)
class ClientGroup:
    """Clients selected by a segment or a tag: which, its label and the client ids (most notable first)."""

    kind: Literal["segment", "tag"]
    key: str
    label: str
    client_ids: list[int]


def group_in_text(session: Session, viewer: Identity | None, text: str, today: dt.date,
                  settings: Settings | None = None) -> ClientGroup | None:
    """The segment or viewer's tag named in `text` (longest name first) with its clients, or None."""
    segment = find_segment(text)
    if segment is not None:
        members = visible_segment_members(session, viewer, segment.id, today, settings)
        return ClientGroup("segment", segment.id, segment.name, [m.client_id for m in members])
    try:
        tags = sorted(tag_counts(session, viewer), key=len, reverse=True)
    except TagsReadOnly:
        return None
    for tag in tags:
        if tag in text:
            return ClientGroup("tag", tag, tag, [c.client_id for c in clients_with_tag(session, viewer, tag)])
    return None


def briefing_among(briefing: Briefing, client_ids: Collection[int]) -> Briefing:
    """The briefing's lines about these clients only ("今天高潜客户有什么要做的"); lines about no client (the
    mass-send counts) are left out, sections left empty disappear."""
    wanted = set(client_ids)
    sections = {key: Section(key, [line for line in section.lines if line.client_id in wanted])
                for key, section in briefing.sections.items()}
    return replace(briefing, sections={k: v for k, v in sections.items() if v.lines})

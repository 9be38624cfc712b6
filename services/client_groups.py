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


GROUP_WORDS = ("客户", "家庭", "青年")
"""Segment names that already say they are people ("金卡客户", "新婚家庭"); any other name ("退休", a tag "高潜")
narrows a list only when the text calls it a group of clients ("退休客户", "高潜的客户", "标了高潜的")."""


def narrowing_group(session: Session, viewer: Identity | None, text: str, today: dt.date,
                    settings: Settings | None = None) -> ClientGroup | None:
    """The group `text` narrows a list to (prospects, a briefing): as `group_in_text`, but a bare word that only
    shares a segment's or tag's name ("退休规划", "高潜力") does not narrow anything.

    >>> called_a_group("退休", "适合退休规划的客户"), called_a_group("退休", "退休客户里谁适合稳健组合")
    (False, True)
    >>> called_a_group("金卡客户", "我的金卡客户今天有什么要做的"), called_a_group("高潜", "标了高潜的客户")
    (True, True)
    """
    group = group_in_text(session, viewer, text, today, settings)
    return group if group is not None and called_a_group(group.label, text) else None


def called_a_group(label: str, text: str) -> bool:
    """Whether `text` names `label` as a group of clients (see GROUP_WORDS)."""
    if label.endswith(GROUP_WORDS):
        return label in text
    return any(phrase in text for phrase in (f"{label}客户", f"{label}的客户", f"标了{label}", f"{label}标签"))


def briefing_among(briefing: Briefing, client_ids: Collection[int]) -> Briefing:
    """The briefing's lines about these clients only ("今天高潜客户有什么要做的"); lines about no client (the
    mass-send counts) are left out, sections left empty disappear."""
    wanted = set(client_ids)
    sections = {key: Section(key, [line for line in section.lines if line.client_id in wanted])
                for key, section in briefing.sections.items()}
    return replace(briefing, sections={k: v for k, v in sections.items() if v.lines})

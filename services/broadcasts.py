"""Manager broadcasts: a morning/evening-meeting note or an experience post, stored for the manager's team,
addressed to every team member, and indexed in knowledge/ so that questions find it at once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank.directory import Identity
from bank.models import MeetingNote, Staff

KIND_NAMES = {"morning": "晨会纪要", "evening": "夕会纪要", "experience": "经验分享"}
KIND_WORDS = {"evening": ("夕会", "晚会", "下班会"), "experience": ("经验", "心得", "案例分享", "分享"),
              "morning": ("晨会", "早会", "晨间")}
# knowledge/ document types: meeting notes are "note", experience posts "experience"; both for staff only.
KNOWLEDGE_TYPES = {"morning": "note", "evening": "note", "experience": "experience"}
KNOWLEDGE_AUDIENCE = "advisor"
COMMAND_WORDS = ("发布", "发", "转发", "推送", "广播", "分享", "纪要", "晨会", "早会", "夕会", "小结", "心得")
MIN_BODY_CHARS = 10
MAX_BODY_CHARS = 2000
_COMMAND = re.compile(
    r"^\s*(请|帮我|麻烦|我要|我想|我来|要)?(帮我)?(把|将)?(这份|这条|这段|这篇|今天的?|今日|本周的?)?"
    r"(发布|发送|发一?下|发个|发一份|转发|推送|群发|广播|分享|同步)?(一下|一条|一份|一个|一篇)?(今天的?|今日|本周的?)?(团队)?"
    r"(晨会|早会|夕会|晚会|会议|经验|心得)?(纪要|小结|总结|分享|内容|笔记|要点)?"
    r"(发给|发到|发送给|推送给|同步给|分享给|转给|给|到)?(团队成员|团队|大家|全组|组里|所有人)?(一下)?[:：,，。\s]*")


class NotAllowed(PermissionError):
    """Only managers may broadcast to a team."""


@dataclass(frozen=True)
class Member:
    """A team member who receives the note."""

    userid: str
    name: str


@dataclass(frozen=True)
class PublishedNote:
    """A stored note and whom it is addressed to."""

    note_id: int
    doc_id: str
    kind: str
    title: str
    body: str
    team_name: str
    published_at: dt.datetime
    recipients: list[Member] = field(default_factory=list)


def note_kind(text: str) -> str:
    """The kind of note a message announces: evening, experience or (the default) morning.

    >>> note_kind("发布晨会纪要：…"), note_kind("把今天夕会小结发给大家"), note_kind("分享一个养老客户的经验")
    ('morning', 'evening', 'experience')
    """
    for kind, words in KIND_WORDS.items():
        if any(word in text for word in words):
            return kind
    return "morning"


def note_body(text: str) -> str:
    """The note itself: the message without its leading command ("发布晨会纪要：").

    >>> note_body("发布晨会纪要：今天重点是到期客户续作。")
    '今天重点是到期客户续作。'
    >>> note_body("今天重点是到期客户续作。")
    '今天重点是到期客户续作。'
    >>> note_body("帮我发一下晨会纪要"), note_body("我要发一份夕会纪要")
    ('', '')
    """
    text = text.strip()
    command = _COMMAND.match(text)
    if command and any(word in command.group(0) for word in COMMAND_WORDS):
        return text[command.end():].strip()
    labelled = re.match(r"^(.{1,20}?)[:：]", text)
    if labelled and any(word in labelled.group(1) for word in COMMAND_WORDS):
        return text[labelled.end():].strip()
    return text


def note_title(kind: str, body: str, when: dt.datetime) -> str:
    """A title for the note: the date and kind for meeting notes, the first short line for experience posts.

    >>> note_title("morning", "1. 重点…", dt.datetime(2026, 11, 29, 8, 30))
    '11月29日晨会纪要'
    >>> note_title("experience", "到期客户提前两周电访\\n新街口支行…", dt.datetime(2026, 11, 29))
    '经验分享：到期客户提前两周电访'
    """
    if kind == "experience":
        first = body.strip().splitlines()[0].strip(" #。") if body.strip() else ""
        return f"经验分享：{first}" if 2 <= len(first) <= 30 else f"{when:%m月%d日}经验分享"
    return f"{when.month}月{when.day}日{KIND_NAMES.get(kind, '晨会纪要')}"


def team_members(session: Session, manager: Identity) -> list[Member]:
    """Everyone in the manager's team except the manager, by staff id."""
    if manager.role != "manager" or manager.staff_id is None:
        raise NotAllowed("only managers broadcast")
    author = session.get(Staff, manager.staff_id)
    assert author is not None
    rows = session.execute(select(Staff.wecom_userid, Staff.name).where(
        Staff.team_id == author.team_id, Staff.id != author.id).order_by(Staff.id))
    return [Member(userid, name) for userid, name in rows]


def check_body(body: str) -> str:
    """The note's text, stripped; ValueError (with a Chinese message) when too short or too long."""
    body = body.strip()
    if len(body) < MIN_BODY_CHARS:
        raise ValueError(f"纪要内容太短了，请至少写{MIN_BODY_CHARS}个字")
    if len(body) > MAX_BODY_CHARS:
        raise ValueError(f"纪要内容太长了，请控制在{MAX_BODY_CHARS}字以内")
    return body


def publish_note(session: Session, manager: Identity, body: str, kind: str, now: dt.datetime,
                 title: str | None = None) -> PublishedNote:
    """Store the note for the manager's team (flushed) and return it with its recipients.

    Raises NotAllowed for anyone but a manager, ValueError for an empty, overlong or unknown-kind note.
    """
    if kind not in KIND_NAMES:
        raise ValueError(f"kind: must be one of {', '.join(KIND_NAMES)}")
    recipients = team_members(session, manager)
    body = check_body(body)
    author = session.get(Staff, manager.staff_id)
    assert author is not None
    note = MeetingNote(author_id=author.id, team_id=author.team_id, kind=kind,
                       title=(title or note_title(kind, body, now))[:128], body=body, published_at=now)
    session.add(note)
    session.flush()
    return PublishedNote(note.id, f"meeting-note-{note.id}", kind, note.title, body, author.team.name, now,
                         recipients)


def ingest_note(note: PublishedNote, index_dir: str | Path | None = None) -> dict:
    """Index the note in knowledge/ for staff (type note or experience), searchable as soon as this returns."""
    from knowledge.api import ingest_text

    return ingest_text(note.doc_id, note.title, note.body, type=KNOWLEDGE_TYPES[note.kind],
                       date=note.published_at.date().isoformat(), audience=KNOWLEDGE_AUDIENCE,
                       tags=[KIND_NAMES[note.kind], note.team_name], index_dir=index_dir)


def broadcast_text(note: PublishedNote, author_name: str) -> str:
    """The message each member receives.

    >>> n = PublishedNote(1, "meeting-note-1", "morning", "11月29日晨会纪要", "重点：到期续作。", "新街口", dt.datetime(2026, 11, 29))
    >>> broadcast_text(n, "陈静")
    '【11月29日晨会纪要】（陈静发布）\\n重点：到期续作。'
    """
    return f"【{note.title}】（{author_name}发布）\n{note.body}"

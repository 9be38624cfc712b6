"""Hand-offs: a client asks for their advisor; the advisor gets the question and a conversation summary."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bank.clients import phone_tail
from bank.models import Client, Notification
from bank.notifications import messages_for

KIND = "handoff"


@dataclass(frozen=True)
class Handoff:
    """What the advisor is told: who, what they asked, and where to read the conversation."""

    advisor_userid: str
    advisor_name: str
    client_name: str
    phone_tail: str
    token: str


def prepare_handoff(session: Session, client_id: int) -> Handoff | None:
    """The client's advisor and a fresh token for the summary page; None when the client has no advisor.

    Raises
    ------
    LookupError
        There is no client with this id.
    """
    client = session.get(Client, client_id)
    if client is None:
        raise LookupError(f"client_id: no client {client_id}")
    advisor = client.advisor
    if advisor is None:
        return None
    return Handoff(advisor.wecom_userid, advisor.name, client.name, phone_tail(client.phone),
                   secrets.token_urlsafe(18))


def summary_card(handoff: Handoff, question: str, transcript: list[dict[str, str]], url: str) -> dict[str, Any]:
    """The card stored with the advisor's notification (the summary page reads it back).

    >>> h = Handoff("zhangmin", "张敏", "王芳", "1234", "tok")
    >>> card = summary_card(h, "想赎回", [{"who": "客户", "text": "想赎回"}], "http://x/handoffs/tok")
    >>> card["token"], card["title"], card["transcript"][0]["text"]
    ('tok', '客户王芳请求联系', '想赎回')
    """
    return {"token": handoff.token, "title": f"客户{handoff.client_name}请求联系", "url": url,
            "button_text": "查看对话摘要", "question": question, "transcript": transcript[-12:]}


def find_handoff(session: Session, recipient: str, token: str) -> Notification | None:
    """The hand-off with `token` addressed to `recipient` (anyone else gets None)."""
    for note in messages_for(session, recipient, kind=KIND):
        if (note.card or {}).get("token") == token:
            return note
    return None

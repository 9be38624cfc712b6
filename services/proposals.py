"""Proposals as chat shows them: the one card that opens a saved proposal, with its validity read from bank/."""

from __future__ import annotations

from bank.proposals import DEFAULT_TTL_DAYS, proposal_path
from services.links import public_url


def validity_note(ttl_days: int = DEFAULT_TTL_DAYS) -> str:
    """How long a share link lives, in words.

    >>> validity_note(), validity_note(7)
    ('链接30天内有效', '链接7天内有效')
    """
    return f"链接{ttl_days}天内有效"


def proposal_card(title: str, description: str, token: str) -> dict[str, str]:
    """The chat card (a json_message) that opens the proposal page of `token`.

    >>> proposal_card("养老规划建议书", "每月需存约2,000元", "tok")["button_text"]
    '查看建议书'
    """
    return {"type": "card", "title": title, "description": description,
            "url": public_url(proposal_path(token)), "button_text": "查看建议书"}

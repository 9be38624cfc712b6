"""What every form shares: reading the latest message, spotting corrections, and leaving digressions to rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rasa_sdk import Tracker

# Intents that are never an answer to a form's question: the form rejects them and a rule takes over
# (cancel → action_cancel_form, ask_knowledge → action_answer_question and back to the form, …).
NOT_FORM_INPUT = frozenset({"cancel", "ask_knowledge", "human_handoff", "help", "goodbye", "out_of_scope", "greet"})


def latest_text(tracker: Tracker) -> str:
    """The text of the user's latest message ('' when there is none)."""
    return str((tracker.latest_message or {}).get("text") or "").strip()


def latest_intent(tracker: Tracker) -> str | None:
    """The intent name of the user's latest message."""
    intent: Any = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return str(name) if name else None


def is_form_input(tracker: Tracker) -> bool:
    """Whether the latest message may fill a form slot (not a cancel, a question, a hand-off …)."""
    return latest_intent(tracker) not in NOT_FORM_INPUT


def named_field(text: str, keywords: Mapping[str, Sequence[str]]) -> str | None:
    """The field a message names, for corrections such as "不对，收入是3万" (the earliest keyword wins).

    >>> fields = {"monthly_income": ["收入", "工资"], "monthly_expenses": ["支出", "开销", "花销"]}
    >>> named_field("不对，收入是3万", fields), named_field("每月开销改成8000", fields), named_field("3万", fields)
    ('monthly_income', 'monthly_expenses', None)
    """
    best: tuple[int, str] | None = None
    for field, words in keywords.items():
        for word in words:
            at = text.find(word)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, field)
    return best[1] if best else None


def requested_slot(tracker: Tracker) -> str | None:
    """The slot the active form is asking for."""
    value = tracker.get_slot("requested_slot")
    return str(value) if value else None

"""Messages the bot did not understand (nlu_fallback): which intents to offer back as buttons, a record of each
miss with its wording masked, and the figures the manager dashboard shows, so training data can grow from use.

The wording is kept only masked and cut short: client names the NLU found (and names guessed by surname) become
某人, long digit runs (phone, ID and account numbers) become ****, e-mail addresses are dropped. No answer, name
or figure of the user's is stored beside it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bank.models import STAFF_ROLES, UsageEvent
from bank.usage import record_usage
from lexicon.names import guess_name

FEATURE = "clarify"
"""The usage-event feature of a miss (stages below in its detail)."""
STAGES = ("offered", "answered", "off_topic", "rephrase", "second")
MAX_OPTIONS = 3
MIN_OPTION_CONFIDENCE = 0.05
OFF_TOPIC_CONFIDENCE = 0.3
"""Under this, an nlu_fallback that leans to out_of_scope still gets the likeliest journeys offered."""
MAX_WORDING_CHARS = 40
PERSON_MASK = "某人"
# Intents a clarifying button may start: journeys and the hand-off. Never a purchase decision (confirm_push,
# decline_push: those go through 我的推荐), nor yes/no, small talk or form answers.
OFFERABLE = frozenset({
    "wealth_checkup", "risk_assessment", "wealth_statement", "wealth_score", "my_rewards", "my_pushes",
    "plan_investment", "plan_pension", "plan_retirement", "plan_simulation",
    "client_profile", "maturity_calendar", "find_prospects", "make_proposal", "log_contact", "backtest_portfolio",
    "my_dashboard", "learning", "push_portfolio", "broadcast_note", "team_dashboard", "my_briefing",
    "shelf_browse", "shelf_compare", "list_client_group", "rank_clients", "human_handoff", "help",
})
CONFIG = Path(__file__).resolve().parents[1] / "config.yml"
_LONG_NUMBER = re.compile(r"[0-9Xx*]{5,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@cache
def audiences(config: Path = CONFIG) -> dict[str, frozenset[str]]:
    """The staff-only and client-only intents, from the intent classifier's settings in config.yml (one list
    serves the NLU's sender-kind weighting and the buttons offered here)."""
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline", [])
    settings = next((c for c in pipeline if str(c.get("name", "")).endswith("CharE5IntentClassifier")), {})
    return {"staff": frozenset(settings.get("staff_intents", [])), "client": frozenset(settings.get("client_intents", []))}


def allowed_for(intent: str, role: str | None) -> bool:
    """Whether a button for `intent` makes sense for `role` (staff are not offered client-only journeys, and
    clients and unknown senders no staff ones).

    >>> allowed_for("client_profile", "advisor"), allowed_for("client_profile", "client")
    (True, False)
    >>> allowed_for("wealth_statement", "manager"), allowed_for("plan_pension", None)
    (False, True)
    """
    kinds = audiences()
    if role in STAFF_ROLES:
        return intent not in kinds["client"]
    return intent not in kinds["staff"]


@dataclass(frozen=True)
class Option:
    intent: str
    confidence: float


def options(ranking: list[dict[str, Any]], role: str | None, limit: int = MAX_OPTIONS) -> list[Option]:
    """The likeliest offerable intents of an NLU ranking for the sender's role, best first.

    >>> ranking = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "plan_pension", "confidence": 0.41},
    ...            {"name": "ask_knowledge", "confidence": 0.3}, {"name": "plan_retirement", "confidence": 0.2},
    ...            {"name": "client_profile", "confidence": 0.04}]
    >>> [o.intent for o in options(ranking, "client")]
    ['plan_pension', 'plan_retirement']
    """
    found = [Option(str(r["name"]), float(r.get("confidence") or 0)) for r in ranking
             if r.get("name") in OFFERABLE and float(r.get("confidence") or 0) >= MIN_OPTION_CONFIDENCE
             and allowed_for(str(r["name"]), role)]
    return found[:limit]


def top_intent(ranking: list[dict[str, Any]]) -> str | None:
    """The classifier's own best guess under an nlu_fallback.

    >>> top_intent([{"name": "nlu_fallback", "confidence": 0.5}, {"name": "out_of_scope", "confidence": 0.4}])
    'out_of_scope'
    """
    return next((str(r["name"]) for r in ranking if r.get("name") != "nlu_fallback"), None)


def off_topic(ranking: list[dict[str, Any]]) -> bool:
    """Whether an unsure message still leans clearly enough to out_of_scope to be declined as off-topic.

    >>> off_topic([{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.35}])
    True
    >>> off_topic([{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.16}])
    False
    """
    best = next((r for r in ranking if r.get("name") != "nlu_fallback"), None)
    return best is not None and best.get("name") == "out_of_scope" and float(best["confidence"]) >= OFF_TOPIC_CONFIDENCE


def masked_wording(text: str, entities: list[dict[str, Any]] | None = None, limit: int = MAX_WORDING_CHARS) -> str:
    """The wording with personal data taken out, cut to `limit` characters.

    >>> masked_wording("李建国下周来网点，先帮我准备一份配置方案",
    ...                [{"entity": "person", "start": 0, "end": 3, "value": "李建国"}])
    '某人下周来网点，先帮我准备一份配置方案'
    >>> masked_wording("我手机13812345678，帮我查查王芳")
    '我手机****，帮我查查某人'
    >>> masked_wording("a" * 50)[-1]
    '…'
    """
    spans = sorted((e for e in entities or [] if e.get("entity") == "person"), key=lambda e: -int(e["start"]))
    for entity in spans:
        start, end = int(entity["start"]), int(entity["end"])
        if 0 <= start < end <= len(text):
            text = text[:start] + PERSON_MASK + text[end:]
    text = _EMAIL.sub("****", text)
    text = _LONG_NUMBER.sub("****", text)
    for _ in range(3):  # names the NLU did not mark, found by their surname
        name = guess_name(text.replace(PERSON_MASK, "，"))
        if not name or name not in text:
            break
        text = text.replace(name, PERSON_MASK)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_miss(session: Session, actor_id: str, role: str | None, stage: str, text: str,
                entities: list[dict[str, Any]] | None, top: str | None, offered: list[str]) -> UsageEvent:
    """One usage event for a message the bot did not understand (`stage` is one of STAGES)."""
    if stage not in STAGES:
        raise ValueError(f"stage: must be one of {', '.join(STAGES)}")
    return record_usage(session, actor_id, role or "unknown", FEATURE, detail={
        "stage": stage, "wording": masked_wording(text, entities), "top": top, "offered": offered})


def fallback_figures(session: Session, actor_ids: Select[Any], start: dt.datetime, end: dt.datetime,
                     top: int = 10) -> dict[str, Any]:
    """Misses by the actors in `actor_ids` within [start, end): how many, how many were a second miss in a row,
    what the bot offered, and the most frequent (masked) wordings with the intent the classifier leaned to."""
    details = [d or {} for d in session.scalars(select(UsageEvent.detail).where(
        UsageEvent.feature == FEATURE, UsageEvent.happened_at >= start, UsageEvent.happened_at < end,
        UsageEvent.actor_id.in_(actor_ids)))]
    stages = Counter(str(d.get("stage")) for d in details)
    wordings = Counter(str(d.get("wording")) for d in details if d.get("wording"))
    leaning = {str(d.get("wording")): d.get("top") for d in details if d.get("wording")}
    offered = Counter(intent for d in details for intent in d.get("offered") or [])
    return {
        "total": len(details),
        "by_stage": {stage: stages.get(stage, 0) for stage in STAGES},
        "second_misses": stages.get("second", 0),
        "offered": [{"intent": i, "count": n} for i, n in offered.most_common(top)],
        "wordings": [{"wording": w, "count": n, "top": leaning.get(w)} for w, n in wordings.most_common(top)],
    }

"""What the advisor actions share: which client a message means, and short replies (the sender check is
actions.staff.StaffAction).

A client is looked up only among the clients the sender may see (bank.access through bank.clients), so a
client of another advisor is simply "not found". A name that fits several clients is answered with buttons
carrying the masked phone tail; a message that names nobody ("给他出一份建议书") means the client remembered in
the slot `adv_client_id`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.forms import latest_intent, latest_text
from bank.access import can_see_client
from bank.clients import ClientMatch, find_clients
from bank.directory import Identity
from lexicon.names import guess_name, split_phone_tail
from services.pushes import names_in_text

CLIENT_SLOT = "adv_client_id"
MAX_CHOICES = 5
MAX_LINES = 12


def entity_names(tracker: Tracker) -> list[str]:
    """Values of `person` entities in the latest message."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return [str(e.get("value")) for e in entities if e.get("entity") == "person" and e.get("value")]


@dataclass(frozen=True)
class Resolution:
    """Which client a message means: found (client_id), ambiguous (matches), not_found (name) or none."""

    status: str
    client_id: int | None = None
    name: str = ""
    matches: list[ClientMatch] = field(default_factory=list)
    partial: bool = False


def _by_name(session: Session, viewer: Identity, raw: str, day: dt.date, partial: bool = True) -> Resolution:
    """Resolve one typed name (optionally ending in a phone tail). Exact names decide; names that only contain
    it (`partial`) are always offered as choices, never taken silently."""
    name, tail = split_phone_tail(raw)
    if len(name) < 2:
        return Resolution("not_found", name=name)
    matches = find_clients(session, viewer, name, day)
    if tail:
        matches = [m for m in matches if m.phone_tail.endswith(tail)]
    exact = [m for m in matches if m.exact]
    if len(exact) == 1:
        return Resolution("found", exact[0].id, exact[0].name)
    if exact:
        return Resolution("ambiguous", name=name, matches=exact[:MAX_CHOICES])
    if partial and matches:
        return Resolution("ambiguous", name=name, matches=matches[:MAX_CHOICES], partial=True)
    return Resolution("not_found", name=name)


def resolve_client(session: Session, viewer: Identity, tracker: Tracker, day: dt.date,
                   remembered: bool = True) -> Resolution:
    """The client the latest message means, within the viewer's scope (see the module docstring).

    Order: a visible client's name in the text; a `person` entity naming a client exactly; a name-like word in
    the text (guess_name); the remembered client; else none.
    """
    text = latest_text(tracker)
    named = names_in_text(session, viewer, text)
    if named:
        return _by_name(session, viewer, named[0], day)
    for raw in entity_names(tracker):
        found = _by_name(session, viewer, raw, day, partial=False)
        if found.status != "not_found":
            return found
    guessed = guess_name(text)
    if guessed:
        return _by_name(session, viewer, guessed, day)
    slot = tracker.get_slot(CLIENT_SLOT)
    if remembered and slot not in (None, ""):
        try:
            client_id = int(float(slot))
        except (TypeError, ValueError, OverflowError):
            return Resolution("none")
        if can_see_client(session, viewer, client_id):
            return Resolution("found", client_id)
    return Resolution("none")


def choice_buttons(matches: list[ClientMatch], intent: str | None, manager: bool = False) -> list[dict[str, str]]:
    """One button per namesake: masked phone tail and age (and advisor for a manager), re-asking `intent`."""
    buttons = []
    for m in matches:
        title = f"{m.name}（{m.phone_tail}，{m.age}岁" + (f"，{m.advisor_name}名下）" if manager else "）")
        value = json.dumps({"person": f"{m.name}{m.phone_tail}"}, ensure_ascii=False)
        buttons.append({"title": title, "payload": f"/{intent or 'client_profile'}{value}"})
    return buttons


def answer_unresolved(dispatcher: CollectingDispatcher, tracker: Tracker, found: Resolution, viewer: Identity) -> None:
    """Tell the advisor why no single client was found: ask for a name, say not found, or offer the namesakes."""
    if found.status == "ambiguous":
        dispatcher.utter_message(response="utter_adv_did_you_mean" if found.partial else "utter_adv_which_client", name=found.name, count=len(found.matches),
                                 buttons=choice_buttons(found.matches, latest_intent(tracker),
                                                        viewer.role == "manager"))
    elif found.status == "not_found":
        dispatcher.utter_message(response="utter_adv_client_not_found", name=found.name)
    else:
        dispatcher.utter_message(response="utter_adv_ask_client")


def split_messages(lines: list[str], per_message: int = MAX_LINES) -> list[str]:
    """Lines packed into messages of at most `per_message` lines (WeCom reads best in short messages).

    >>> split_messages(["a", "b", "c"], 2)
    ['a\\nb', 'c']
    """
    return ["\n".join(lines[i:i + per_message]) for i in range(0, len(lines), per_message)]


def int_list(value: Any) -> list[int]:
    """A slot value as a list of ints (bad items dropped).

    >>> int_list([1, "2", "x", 3.0]), int_list(None)
    ([1, 2, 3], [])
    """
    out = []
    for item in value if isinstance(value, list) else ([] if value is None else [value]):
        try:
            out.append(int(float(item)))
        except (TypeError, ValueError, OverflowError):
            continue
    return out


"""The limits every parser in lexicon/ holds to, in one place: no chat message, however long or however many
digits it holds, can make a parser raise or hand a form an absurd value.

- MAX_TEXT_CHARS: a parser reads only the first 500 characters of a message (an answer is a line, not a page);
  a number cut in two by that limit is dropped rather than read short.
- MAX_DIGITS: a number written with more than 15 significant digits (what a float holds exactly) is no value.
- MAX_MAGNITUDE: a number beyond 10^13 (十万亿: no amount of yuan, age, year count or rate a person gives
  comes near it) is no value.

"No value" is None, which the forms already turn into their polite re-ask.
"""

from __future__ import annotations

import math
import re

MAX_TEXT_CHARS = 500
"""Characters of a message that a parser looks at."""
MAX_DIGITS = 15
"""Significant digits a number may be written with."""
MAX_MAGNITUDE = 10**13
"""The largest absolute value a parsed number may have (10万亿)."""

# Characters a number may continue with: a cut just before one of them splits a number.
_NUMBER_CHARS = "0-9０-９.．,，点零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿kKwW"
_TRAILING_NUMBER = re.compile(f"[{_NUMBER_CHARS}]+$")
_NUMBER_CHAR = re.compile(f"[{_NUMBER_CHARS}]")


def clip(text: str) -> str:
    """The part of `text` a parser reads: its first MAX_TEXT_CHARS characters, without a number the cut splits.

    >>> clip("每月5000"), len(clip("好" * 600)), clip("好" * 498 + "123456")[-3:]
    ('每月5000', 500, '好好好')
    """
    if not isinstance(text, str):  # a tracker without text hands over None: read it as no text at all
        return ""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    head = text[:MAX_TEXT_CHARS]
    if _NUMBER_CHAR.match(text, MAX_TEXT_CHARS):
        head = _TRAILING_NUMBER.sub("", head)
    return head


def significant_digits(digits: str) -> int:
    """How many significant digits an Arabic numeral is written with (leading zeros and trailing decimal zeros
    do not count).

    >>> significant_digits("25000"), significant_digits("0.00120"), significant_digits("007"), significant_digits("0")
    (5, 2, 1, 0)
    """
    whole, _, fraction = digits.partition(".")
    return len((whole + fraction.rstrip("0")).lstrip("0"))


def bounded(value: float) -> float | None:
    """`value` when it is a finite number within MAX_MAGNITUDE, else None.

    >>> bounded(35.0), bounded(-1e13), bounded(1.5e13), bounded(float("inf")), bounded(float("nan"))
    (35.0, -10000000000000.0, None, None, None)
    """
    return value if math.isfinite(value) and abs(value) <= MAX_MAGNITUDE else None

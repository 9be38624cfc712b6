"""Query expansion from the finance thesaurus (`thesaurus.yml`): everyday names, rules asked as cases and
concepts asked by their effect become the canonical words documents are written in."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

THESAURUS_FILE = Path(__file__).resolve().parent / "thesaurus.yml"


@dataclass(frozen=True)
class Entry:
    """One thesaurus entry: literal triggers, an optional regular expression, optional context words (`with`:
    one of them must also occur), optional exclusions (`not`: none may occur) and the terms it adds."""

    aka: tuple[str, ...]
    regex: re.Pattern[str] | None
    add: tuple[str, ...]
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def fires(self, text: str) -> bool:
        """True if the lower-cased `text` contains a trigger word or matches the expression, and a context word
        when the entry has some, and none of its exclusions."""
        hit = any(a in text for a in self.aka) or bool(self.regex and self.regex.search(text))
        return (hit and (not self.context or any(c in text for c in self.context))
                and not any(x in text for x in self.exclude))


def parse_entries(data: dict) -> tuple[Entry, ...]:
    """Entries from the thesaurus mapping; an entry needs `add` and at least one of `aka` or `regex`.

    >>> [e.add for e in parse_entries({"entries": [{"aka": ["余额宝"], "add": ["货币基金"]}]})]
    [('货币基金',)]
    """
    out = []
    for i, raw in enumerate(data.get("entries") or []):
        aka = tuple(str(a).lower() for a in raw.get("aka") or ())
        regex = re.compile(raw["regex"]) if raw.get("regex") else None
        add = tuple(str(a) for a in raw.get("add") or ())
        if not add or not (aka or regex):
            raise ValueError(f"thesaurus entries[{i}]: needs `add` and `aka` or `regex`")
        out.append(Entry(aka, regex, add, tuple(str(c).lower() for c in raw.get("with") or ()),
                         tuple(str(x).lower() for x in raw.get("not") or ())))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def load(path: str | None = None) -> tuple[Entry, ...]:
    """The thesaurus entries (cached per path)."""
    data = yaml.safe_load(Path(path or THESAURUS_FILE).read_text(encoding="utf-8")) or {}
    return parse_entries(data)


def expand_with(entries: tuple[Entry, ...], query: str, limit: int = 12) -> list[str]:
    """Canonical terms for `query` from `entries`, in entry order, without duplicates or words already asked.

    >>> es = parse_entries({"entries": [{"aka": ["余额宝"], "add": ["货币基金", "余额宝"]},
    ...                                 {"regex": "c[1-5]", "add": ["适当性"]},
    ...                                 {"aka": ["房贷"], "with": ["保险"], "add": ["定期寿险"]},
    ...                                 {"aka": ["养老金"], "not": ["个人养老金"], "add": ["基本养老金"]}]})
    >>> expand_with(es, "余额宝和C2")
    ['货币基金', '适当性']
    >>> expand_with(es, "房贷没还完买什么保险"), expand_with(es, "房贷利率")
    (['定期寿险'], [])
    >>> expand_with(es, "退休养老金多少"), expand_with(es, "个人养老金多少")
    (['基本养老金'], [])
    """
    text = query.lower()
    out: list[str] = []
    for entry in entries:
        if entry.fires(text):
            out.extend(t for t in entry.add if t.lower() not in text and t not in out)
    return out[:limit]


def expand(query: str) -> list[str]:
    """Canonical terms the shipped thesaurus adds to `query` (empty when nothing fires)."""
    return expand_with(load(), query)


def canonical_terms() -> list[str]:
    """The terms the thesaurus adds (the words documents are written in), for the tokenizer's dictionary."""
    return sorted({t for entry in load() for t in entry.add if len(t) > 1 and " " not in t})


def vocabulary_key(terms: list[str] | None = None) -> str:
    """A hash of the tokenizer's thesaurus words: documents are tokenized with them, so an index built with other
    words is rebuilt (`knowledge.build.ensure`).

    >>> vocabulary_key(["货币基金"]) == vocabulary_key(["货币基金"]) != vocabulary_key(["货币基金", "定投"])
    True
    """
    words = canonical_terms() if terms is None else sorted(terms)
    return hashlib.sha1("\n".join(words).encode("utf-8")).hexdigest()

"""The bot's texts as domain.yml states them, for tests that check what a user was sent."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


@cache
def responses() -> dict[str, list[str]]:
    """Every response key of the domain (domain.yml) with its text variants."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")) or {}
    return {key: [variant.get("text", "") for variant in variants]
            for key, variants in (domain.get("responses") or {}).items()}

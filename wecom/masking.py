"""Mask WeCom user ids before they reach a log line (ids identify people; content and secrets never log)."""

from __future__ import annotations


def mask_id(user_id: str) -> str:
    """Keep the first two and last two characters of an id.

    >>> mask_id("zhangwei01")
    'zh******01'
    >>> mask_id("abc")
    '***'
    """
    if len(user_id) <= 4:
        return "*" * len(user_id)
    return user_id[:2] + "*" * (len(user_id) - 4) + user_id[-2:]

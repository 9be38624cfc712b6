"""Masks for personal data: phone numbers, ID numbers and names are stored in full but shown masked."""

from __future__ import annotations


def mask_middle(text: str | None, head: int, tail: int) -> str | None:
    """Keep `head` leading and `tail` trailing characters, star the rest (all stars when too short).

    >>> mask_middle("abcdefgh", 2, 2), mask_middle("abc", 2, 2)
    ('ab****gh', '***')
    """
    if text is None:
        return None
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def mask_phone(phone: str | None) -> str | None:
    """Keep the first 3 and last 4 digits of a phone number.

    >>> mask_phone("13812341234")
    '138****1234'
    """
    return mask_middle(phone, 3, 4)


def mask_id_number(id_number: str | None) -> str | None:
    """Keep the first 3 and last 4 characters of an ID number.

    >>> mask_id_number("110101199003071234")
    '110***********1234'
    """
    return mask_middle(id_number, 3, 4)


def mask_name(name: str | None) -> str | None:
    """Keep the surname (first character) of a Chinese name.

    >>> mask_name("张伟"), mask_name("欧阳娜娜")
    ('张*', '欧***')
    """
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)

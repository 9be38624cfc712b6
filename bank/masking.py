"""Masks for personal data: phone numbers, ID numbers and names are stored in full but shown masked."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """Keep the first 3 and last 4 digits of a phone number.

    >>> mask_phone("13812341234")
    '138****1234'
    """
    if phone is None:
        return None
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """Keep the first 3 and last 4 characters of an ID number.

    >>> mask_id_number("110101199003071234")
    '110***********1234'
    """
    if id_number is None:
        return None
    if len(id_number) <= 7:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_name(name: str | None) -> str | None:
    """Keep the surname (first character) of a Chinese name.

    >>> mask_name("张伟"), mask_name("欧阳娜娜")
    ('张*', '欧***')
    """
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)

from __future__ import annotations

import pytest

from bank.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(("raw", "masked"), [("13812341234", "138****1234"), ("1234567", "*******"), (None, None)])
def test_mask_phone_keeps_first_three_and_last_four(raw: str | None, masked: str | None) -> None:
    assert mask_phone(raw) == masked


def test_mask_id_number_keeps_first_three_and_last_four() -> None:
    assert mask_id_number("11010119900307123X") == "110***********123X"
    assert mask_id_number(None) is None


def test_mask_name_keeps_the_surname_only() -> None:
    assert mask_name("王芳") == "王*"
    assert mask_name("") == ""

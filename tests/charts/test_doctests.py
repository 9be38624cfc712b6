"""Run the doctests of charts/ and the proposal router (the Makefile's doctest run does not cover them)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["charts.fonts", "charts.draw", "charts.render", "web.routers.proposals"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctest"
    assert result.failed == 0

"""One fault stack for the suite; the fault table is printed in pytest's summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.stack import FaultStack, fault_stack, fault_table

ROWS: list[dict[str, str]] = []


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    with fault_stack(tmp_path_factory.mktemp("faults")) as running:
        running.rows = ROWS
        yield running


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ROWS:
        terminalreporter.section("fault table: what the user saw, what was lost, what was doubled")
        terminalreporter.write_line(fault_table(ROWS))

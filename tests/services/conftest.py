"""Fixtures for the services tests: the push cast. Sessions over the demo bank, the demo staff and a private
knowledge index come from tests/demo_staff.py, which tests/conftest.py loads for every suite."""

from __future__ import annotations

from tests.demo_staff import *  # noqa: F403  (sessions over the demo bank, the demo staff, index_dir)
from tests.services.push_cast import cast  # noqa: F401  (fixture)


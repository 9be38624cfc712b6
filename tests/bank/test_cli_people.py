"""`python -m bank people` lists demo identities a person can try the bot with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_people_lists_every_role_with_a_wecom_id(demo_db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bank", "people", "--per-role", "2"], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": demo_db_url}, capture_output=True, text=True, check=True,
    )
    rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert len(rows) == 6
    roles = [row[0].split()[0] for row in rows]
    assert roles == ["管理人员", "管理人员", "理财经理", "理财经理", "客户", "客户"]
    assert all(row[1] for row in rows)
    assert all(row[1].startswith("wm") for row in rows[4:])

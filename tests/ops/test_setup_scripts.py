"""The set-up scripts behind `make`: interpreter discovery and its one-line error."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIND_PYTHON = ROOT / "scripts" / "find_python.sh"


def run_find_python(version: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(FIND_PYTHON), version], env=env, capture_output=True, text=True, check=False)


class TestFindPython:
    def test_finds_a_working_python_of_the_asked_version(self) -> None:
        import os

        result = run_find_python("3.11", dict(os.environ))
        assert result.returncode == 0
        found = result.stdout.strip()
        version = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, check=True).stdout
        assert version.strip() == "(3, 11)"

    def test_missing_python_310_is_one_line_that_says_how_to_get_it(self, tmp_path: Path) -> None:
        # A PATH with no pyenv and no python3.10 on it.
        (tmp_path / "bin").mkdir()
        for tool in ("bash", "sha256sum", "cut", "head"):
            target = Path("/usr/bin") / tool
            if target.exists():
                (tmp_path / "bin" / tool).symlink_to(target)
        result = run_find_python("3.10", {"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path)})
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "Python 3.10" in lines[0] and "pyenv install 3.10.13" in lines[0]

    def test_an_explicit_interpreter_of_the_wrong_version_is_not_accepted(self, tmp_path: Path) -> None:
        import os
        import sys

        env = {**os.environ, "PY": sys.executable, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        result = run_find_python("3.10", env)
        assert result.returncode == 1

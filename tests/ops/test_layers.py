"""The layering contract of `make lint`: the repository keeps it, and a forbidden import anywhere fails it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.check_layers import ALLOWED, violations

ROOT = Path(__file__).resolve().parents[2]


def test_the_repository_keeps_the_contract() -> None:
    assert violations(ROOT) == []


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A copy of every constrained package, to break on purpose."""
    for package in ALLOWED:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "corpus"))
    return tmp_path


@pytest.mark.parametrize(("module", "line", "importer", "imported"), [
    ("bank/models.py", "from services.pushes import push_portfolio", "bank", "services"),
    ("calc/money.py", "import bank.db", "calc", "bank"),
    ("knowledge/build.py", "from bank.models import Product", "knowledge", "bank"),
    ("web/routers/portfolios.py", "from actions.push import tell_advisor", "web", "actions"),
    ("actions/questions.py", "from knowledge.api import answer", "actions", "knowledge"),
    ("bot/nlu/entity_extractor.py", "from bank.directory import who_is", "bot", "bank"),
])
def test_a_forbidden_import_is_named(tree: Path, module: str, line: str, importer: str, imported: str) -> None:
    path = tree / module
    # Hidden inside a function, as the old bank ⇄ knowledge cycle was.
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _late() -> None:\n    {line}\n", encoding="utf-8")
    found = violations(tree)
    assert [(str(v.path), v.importer, v.imported) for v in found] == [(module, importer, imported)]


def test_the_command_fails_on_a_violation(tree: Path) -> None:
    (tree / "lexicon" / "names.py").write_text("from services import pushes\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "scripts.check_layers", "--root", str(tree)], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "lexicon/names.py:1: lexicon imports services" in run.stderr
    ok = subprocess.run([sys.executable, "-m", "scripts.check_layers"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr

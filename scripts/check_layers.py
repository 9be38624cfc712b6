"""The layering contract, checked over the import graph (`make lint`; GUIDE §2).

Every `import` and `from … import` of the project's own packages is read with `ast`, including imports inside
functions and under `if TYPE_CHECKING:`, so an import cannot hide from the check by being late. A package may
import itself and the packages listed for it; anything else fails with the file, line and rule it breaks.

    python -m scripts.check_layers            # check the repository
    python -m scripts.check_layers --root DIR # check another tree (the tests use this)
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEAVES = ("calc", "charts", "wecom", "knowledge", "lexicon")
# Who may import whom (besides itself). Packages not listed here (scripts, tests, bench) are not constrained.
ALLOWED: dict[str, frozenset[str]] = {
    **{leaf: frozenset() for leaf in LEAVES},
    "bank": frozenset({"calc"}),
    "services": frozenset({"bank", "calc", "charts", "knowledge", "wecom", "lexicon"}),
    # Adapters: they call services/ and may read bank/'s records and use the pure leaves for display, but never
    # reach knowledge/ past services/, and never import each other or the Rasa side.
    "actions": frozenset({"services", "bank", "calc", "charts", "wecom", "lexicon"}),
    "web": frozenset({"services", "bank", "calc", "charts", "wecom", "lexicon"}),
    # The Rasa process (Python 3.10) loads only these of ours.
    "bot": frozenset({"wecom", "lexicon"}),
}
OURS = frozenset(ALLOWED) | {"scripts", "tests", "bench"}


@dataclass(frozen=True)
class Violation:
    """One import that breaks the contract."""

    path: Path
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        allowed = ", ".join(sorted(ALLOWED[self.importer])) or "nothing of ours"
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported} (it may import {allowed})"


def imported_packages(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in a module.

    >>> list(imported_packages(ast.parse("import os\\nfrom bank.db import x\\ndef f():\\n    import web.app")))
    [(1, 'os'), (2, 'bank'), (4, 'web')]
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def violations(root: Path) -> list[Violation]:
    """Every import under `root` that its package's rule forbids."""
    found: list[Violation] = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, imported in imported_packages(tree):
                if imported in OURS and imported != package and imported not in allowed:
                    found.append(Violation(path.relative_to(root), line, package, imported))
    return sorted(found, key=lambda v: (str(v.path), v.line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.check_layers", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    broken = violations(args.root)
    for violation in broken:
        print(violation, file=sys.stderr)
    if broken:
        print(f"layers: {len(broken)} forbidden import(s)", file=sys.stderr)
        return 1
    print(f"layers: contract kept ({', '.join(ALLOWED)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

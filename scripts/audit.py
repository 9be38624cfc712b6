"""`make audit`: pip-audit over both lock files, with the allow-list of what Rasa 3.6's pins force.

Runs pip-audit (from its own venv, .venv-audit) on requirements/main.lock and requirements/rasa.lock without
installing anything (`--no-deps --disable-pip`), then sorts every advisory into allowed (package and lock named
in requirements/audit-allow.toml, with the reason printed) or not. Exit 0: nothing unallowed; 1: an advisory
that is not allowed; 2: the advisory service could not be reached (nothing was checked). Not part of
`make test`: a new advisory must not turn CI red without a code change.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("main.lock", "rasa.lock")
ALLOW_FILE = ROOT / "requirements" / "audit-allow.toml"
PIP_AUDIT = ROOT / ".venv-audit" / "bin" / "pip-audit"


class AuditUnavailable(RuntimeError):
    """pip-audit could not query any advisory database."""


@dataclass(frozen=True)
class Finding:
    lock: str
    package: str
    version: str
    advisory: str
    fixed_in: str
    allowed_because: str | None


def allow_list(path: Path = ALLOW_FILE) -> dict[tuple[str, str], str]:
    """(lock, normalised package) → reason, from the allow-list file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {(entry["lock"], name.lower().replace("_", "-")): " ".join(entry["reason"].split())
            for entry in data.get("allow", []) for name in entry["packages"]}


def findings(lock: str, report: dict, allowed: dict[tuple[str, str], str]) -> list[Finding]:
    """Every advisory of a pip-audit JSON report; AuditUnavailable when no package could be audited.

    >>> report = {"dependencies": [{"name": "sanic", "version": "21.12.2", "vulns": [
    ...     {"id": "GHSA-x", "fix_versions": ["22.0"]}]}, {"name": "rich", "version": "1", "vulns": []}]}
    >>> [(f.package, f.allowed_because) for f in findings("rasa.lock", report, {("rasa.lock", "sanic"): "loopback"})]
    [('sanic', 'loopback')]
    """
    dependencies = report.get("dependencies", [])
    if dependencies and all("skip_reason" in d for d in dependencies):
        raise AuditUnavailable(dependencies[0]["skip_reason"])
    return [Finding(lock, d["name"], d["version"], v["id"], ", ".join(v.get("fix_versions") or []) or "—",
                    allowed.get((lock, d["name"].lower().replace("_", "-"))))
            for d in dependencies for v in d.get("vulns", [])]


def run_pip_audit(lock: str) -> dict:
    """pip-audit's JSON report for one lock file."""
    command = [str(PIP_AUDIT), "-r", str(ROOT / "requirements" / lock), "--no-deps", "--disable-pip",
               "--format", "json", "--progress-spinner", "off"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900)
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as error:
        raise AuditUnavailable(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "no report") from error


def main() -> int:
    allowed = allow_list()
    found: list[Finding] = []
    try:
        for lock in LOCKS:
            found += findings(lock, run_pip_audit(lock), allowed)
    except AuditUnavailable as error:
        print(f"audit: no advisory database could be reached ({error}); nothing was checked", file=sys.stderr)
        return 2
    print(f"{'lock':<10} {'package':<28} {'version':<12} {'advisory':<22} {'fixed in':<14} status")
    for f in found:
        status = f"allowed: {f.allowed_because[:60]}…" if f.allowed_because else "NOT ALLOWED"
        print(f"{f.lock:<10} {f.package:<28} {f.version:<12} {f.advisory:<22} {f.fixed_in:<14} {status}")
    unallowed = [f for f in found if not f.allowed_because]
    print(f"\naudit: {len(found)} advisories, {len(found) - len(unallowed)} allowed, {len(unallowed)} not allowed")
    return 1 if unallowed else 0


if __name__ == "__main__":
    sys.exit(main())

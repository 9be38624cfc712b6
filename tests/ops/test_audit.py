"""`make audit`'s sorting of advisories: allowed only for the packages and lock the allow-list names."""

from __future__ import annotations

import pytest

from scripts.audit import LOCKS, AuditUnavailable, allow_list, findings


def report(*packages: tuple[str, str, list[str]]) -> dict:
    return {"dependencies": [{"name": name, "version": version, "vulns": [{"id": v, "fix_versions": ["9.9"]}
                                                                          for v in vulns]}
                             for name, version, vulns in packages]}


def test_the_allow_list_names_real_packages_of_the_rasa_lock_with_a_reason() -> None:
    allowed = allow_list()
    assert allowed and {lock for lock, _ in allowed} <= set(LOCKS)
    assert all(len(reason) > 80 for reason in allowed.values())
    assert ("rasa.lock", "sanic") in allowed and ("main.lock", "sanic") not in allowed


def test_an_advisory_is_allowed_only_in_the_named_lock() -> None:
    allowed = allow_list()
    rasa = findings("rasa.lock", report(("Sanic", "21.12.2", ["GHSA-1"]), ("rich", "1", [])), allowed)
    main = findings("main.lock", report(("sanic", "25.12.1", ["GHSA-1"])), allowed)
    assert [(f.package, bool(f.allowed_because)) for f in rasa] == [("Sanic", True)]
    assert [(f.package, f.allowed_because) for f in main] == [("sanic", None)]


def test_any_other_package_is_not_allowed() -> None:
    found = findings("rasa.lock", report(("jinja2", "3.1.0", ["CVE-2", "CVE-3"])), allow_list())
    assert [f.advisory for f in found if f.allowed_because is None] == ["CVE-2", "CVE-3"]


def test_a_report_that_audited_nothing_is_unavailable_not_clean() -> None:
    unreachable = {"dependencies": [{"name": "rich", "version": "1", "skip_reason": "Dependency not found on PyPI"}]}
    with pytest.raises(AuditUnavailable, match="not found"):
        findings("main.lock", unreachable, allow_list())

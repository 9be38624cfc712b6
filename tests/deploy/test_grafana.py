"""The Grafana dashboard (deploy/grafana/wealth-assistant.json) and the metrics (wecom/metrics.py) stay in step:
every metric a panel queries is defined, and every defined metric is on some panel."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import Counter, Histogram

from wecom import metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "wealth-assistant.json"
_GROUPING = re.compile(r"\b(?:by|without)\s*\([^)]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_IDENTIFIER = re.compile(r"(?<![\w$:])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")


def queried_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects (functions, groupings, ranges and labels left out).

    >>> sorted(queried_names('histogram_quantile(0.5, sum by (le) (rate(x_bucket{a="b"}[$__rate_interval])))'))
    ['x_bucket']
    """
    expr = _GROUPING.sub(" ", _RANGE.sub(" ", re.sub(r"\{[^}]*\}", " ", expr)))
    return set(_IDENTIFIER.findall(expr))


def exposed_names() -> dict[str, set[str]]:
    """Each metric defined in wecom/metrics.py → the series names it exposes."""
    families: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            name = value.describe()[0].name
            families[name] = {f"{name}_total"}
        elif isinstance(value, Histogram):
            name = value.describe()[0].name
            families[name] = {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif isinstance(value, metrics.DepthGauge):
            families[value.name] = {value.name}
    return families


def panel_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_the_metrics_module_defines_what_the_issue_asks_for() -> None:
    assert {"wecom_callbacks", "wecom_callback_ack_seconds", "wecom_turn_seconds", "wecom_inbox_depth",
            "wecom_outbox_depth", "wecom_outbox_send_failures", "wecom_outbox_dead_letters", "scheduler_job_runs",
            "web_http_request_seconds"} <= set(exposed_names())


def test_every_queried_metric_is_defined() -> None:
    known = set().union(*exposed_names().values())
    exprs = panel_exprs()
    assert exprs, "the dashboard has no queries"
    for expr in exprs:
        names = queried_names(expr)
        assert names, f"no metric in {expr!r}"
        assert names <= known, f"{sorted(names - known)} in {expr!r} are not defined in wecom/metrics.py"


def test_every_defined_metric_is_on_a_panel() -> None:
    queried = set().union(*(queried_names(expr) for expr in panel_exprs()))
    missing = [name for name, series in exposed_names().items() if not series & queried]
    assert not missing, f"no panel shows {missing}"


def test_no_label_names_a_person() -> None:
    personal = {"sender", "user", "userid", "recipient", "text", "message", "external_userid"}
    for value in vars(metrics).values():
        if isinstance(value, Counter | Histogram):
            assert not set(value._labelnames) & personal, value
        elif isinstance(value, metrics.DepthGauge):
            assert value.label not in personal

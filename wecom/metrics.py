"""The Prometheus metrics of every process, defined once (prometheus-client and the standard library only).

Both environments import this leaf: the Rasa process (callbacks, ACK and turn latency, inbox depth), the sender
worker (outbox depth, send failures, dead letters), the scheduler (job runs), the web app (HTTP requests) and the
action server (action calls). Each process exposes what it uses from the default registry, with the
interpreter's own process metrics, at its `/metrics` (see the README's Observability section).
deploy/grafana/wealth-assistant.json charts every metric here; tests/deploy/test_grafana.py keeps the two in step.

Labels are bounded sets of our own words (channel, outcome, state, job, route template, action name, message
kind): never a sender id, a user id or a message text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: an ACK must come well inside WeCom's 5 s; 50 ms is the target."""
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 60.0)
"""Seconds from a stored message to its finished turn: the reply's wait as the user feels it."""

CALLBACK_OUTCOMES = ("accepted", "duplicate", "refused", "error")
"""accepted (stored, or nothing to store), duplicate (a retry of a stored message), refused (signature, replay
window, corp id, body: a 4xx), error (not stored: the database or the settings; a 503 for WeCom to retry)."""

CALLBACKS = Counter("wecom_callbacks", "WeCom callbacks (POST) received, by channel and outcome",
                    ["channel", "outcome"])
CALLBACK_ACK_SECONDS = Histogram("wecom_callback_ack_seconds",
                                 "Seconds from a callback's request to its empty 200 (stored or duplicate)",
                                 ["channel"], buckets=FAST_BUCKETS)
TURN_SECONDS = Histogram("wecom_turn_seconds",
                         "Seconds from a message stored in the inbox to its turn done (replied)",
                         ["channel"], buckets=TURN_BUCKETS)
OUTBOX_SEND_FAILURES = Counter("wecom_outbox_send_failures",
                               "WeCom API calls of the sender that failed (retried or dead), by API",
                               ["api"])
OUTBOX_DEAD_LETTERS = Counter("wecom_outbox_dead_letters", "Outgoing messages that became dead, by message kind",
                              ["kind"])
JOB_RUNS = Counter("scheduler_job_runs", "Scheduler job runs, by job and outcome (ok, failed)", ["job", "outcome"])
HTTP_REQUEST_SECONDS = Histogram("web_http_request_seconds",
                                 "Seconds the web app took per request, by method, route template and status",
                                 ["method", "route", "status"], buckets=FAST_BUCKETS)
ACTION_SECONDS = Histogram("action_server_call_seconds",
                           "Seconds the action server took per action call, by action and status",
                           ["action", "status"], buckets=TURN_BUCKETS)


class DepthGauge(Collector):
    """A gauge by `label` read on each scrape from a function (a query of the inbox or outbox table).

    It joins the default registry on the first `watch`; until then it is only a definition. A failing read
    (the database is down) yields the family without samples, so the rest of the scrape still answers.
    """

    def __init__(self, name: str, documentation: str, label: str) -> None:
        self.name, self.documentation, self.label = name, documentation, label
        self._read: Callable[[], Mapping[str, int]] | None = None
        self._lock = threading.Lock()

    def watch(self, read: Callable[[], Mapping[str, int]]) -> None:
        """Read the depth with `read` from now on (a later call replaces the function)."""
        with self._lock:
            first = self._read is None
            self._read = read
        if first:
            REGISTRY.register(self)

    def describe(self) -> list[Metric]:
        """The family without samples, so registering does not call `read`."""
        return [GaugeMetricFamily(self.name, self.documentation, labels=[self.label])]

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        read = self._read
        if read is not None:
            try:
                values = read()
            except Exception as error:  # a scrape must answer even when the database does not
                log.warning("%s not read: %s", self.name, type(error).__name__)
                values = {}
            for state, count in sorted(values.items()):
                family.add_metric([state], count)
        yield family


INBOX_DEPTH = DepthGauge("wecom_inbox_depth", "Inbox messages waiting (pending) or given up (failed), by state",
                         "state")
OUTBOX_DEPTH = DepthGauge("wecom_outbox_depth",
                          "Outgoing messages by state: pending, held, awaiting_advisor, dead", "state")


def timer() -> Callable[[], float]:
    """A stopwatch: call the returned function for the seconds since this call.

    >>> elapsed = timer(); elapsed() >= 0
    True
    """
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


def exposition() -> tuple[bytes, str]:
    """This process's metrics in Prometheus's text format, and its content type (for a /metrics route)."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, what: str, host: str = "127.0.0.1") -> bool:
    """Serve /metrics of this process on `host`:`port` in a thread (workers without a web server of their
    own); port 0 leaves it off. Returns whether it serves."""
    if not port:
        return False
    start_http_server(port, addr=host)
    log.info("%s metrics at http://%s:%d/metrics", what, host, port)
    return True

"""Fixtures of the security suite: the edge proxy (Debian's nginx, started for real) in front of given upstreams."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from scripts.edge import EdgeProxy, NginxMissing
from scripts.edge import edge_proxy as _edge_proxy
from tests.security.stack import production  # noqa: F401  (the production profile behind the proxy)

EDGE_READY_TIMEOUT = 15.0


@pytest.fixture(scope="session")
def edge_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., EdgeProxy]]:
    """A factory: `edge_proxy(rasa_url, web_url, **options)` starts nginx on a free loopback port in front of
    the two upstreams and returns it running (`.url`, `.access_log`, `.stop()`), once /health answers through
    it (so start the web upstream first). `options` are scripts.edge.EdgeSettings fields (limits, timeouts).
    Every proxy started is stopped at the end of the session. Fails, never skips, when nginx is missing."""
    started: list[EdgeProxy] = []

    def start(rasa_url: str, web_url: str, **options: str | None) -> EdgeProxy:
        options.setdefault("worker_processes", "1")
        try:
            proxy = _edge_proxy(rasa_url, web_url, tmp_path_factory.mktemp("edge"), **options)
        except NginxMissing as error:
            pytest.fail(str(error), pytrace=False)
        started.append(proxy)
        return proxy.start().wait_ready(EDGE_READY_TIMEOUT)  # type: ignore[return-value]

    yield start
    for proxy in started:
        proxy.stop()

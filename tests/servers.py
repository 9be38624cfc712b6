"""Real servers for tests: the action server and Rasa on free loopback ports, torn down afterwards.

Thin over scripts/services.py (the same definitions `make run` uses). Logs go under test-output/logs/ so a
failing readiness wait shows the server's last lines.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scripts.services import MODEL, ROOT, Service, free_port, http_status, write_endpoints
from scripts.services import action_server as _action_server
from scripts.services import rasa_server as _rasa_server
from scripts.services import sender as _sender
from scripts.services import web_app as _web_app

__all__ = ["LOGS", "MODEL", "Service", "free_port", "get", "post_json", "start_action_server", "start_rasa",
           "start_sender", "start_web", "wait_for"]

LOGS = ROOT / "test-output" / "logs"
RASA_READY_TIMEOUT = 240.0


def start_action_server(env: Mapping[str, str] | None = None, port: int | None = None) -> Service:
    """Start the rasa-sdk action server and wait until /health answers."""
    port = port or free_port()
    return _action_server(port, env=env, log_path=LOGS / f"actions-{port}.log").start().wait_ready(90.0)


def start_rasa(
    credentials: Path | None = None,
    endpoints: Path | None = None,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    action_url: str | None = None,
    workdir: Path | None = None,
    model: Path = MODEL,
) -> Service:
    """Start Rasa with models/current.tar.gz (run `make model` first) and wait until the model is loaded.

    Give either `endpoints` or `action_url` (an endpoints file with an in-memory tracker store is then
    written to `workdir`); `credentials` defaults to a file with the REST and web chat channels.
    """
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run `make model` first")
    port = port or free_port()
    workdir = workdir or (ROOT / "test-output" / f"rasa-{port}")
    workdir.mkdir(parents=True, exist_ok=True)
    if endpoints is None:
        if action_url is None:
            raise ValueError("start_rasa needs endpoints or action_url")
        endpoints = write_endpoints(workdir / "endpoints.yml", action_url)
    if credentials is None:
        credentials = workdir / "credentials.yml"
        credentials.write_text("rest:\nbot.channels.web.WebChatInput:\n", encoding="utf-8")
    service = _rasa_server(port, endpoints, credentials, model=model, env=env, log_path=LOGS / f"rasa-{port}.log")
    return service.start().wait_ready(RASA_READY_TIMEOUT)


def start_sender(env: Mapping[str, str] | None = None, name: str = "sender") -> Service:
    """Start the outbox sender worker (services/outbox.py) and wait until it runs."""
    return _sender(env=env, log_path=LOGS / f"{name}-{free_port()}.log").start().wait_ready(30.0)


def start_web(env: Mapping[str, str] | None = None, port: int | None = None, healthy: bool = True) -> Service:
    """Start the FastAPI app under uvicorn and wait until /health answers (200 unless `healthy` is False)."""
    port = port or free_port()
    service = _web_app(port, env=env, log_path=LOGS / f"web-{port}.log").start()
    return service.wait_ready(60.0, any_status=not healthy)


def wait_for(condition: Callable[[], Any], timeout_s: float = 60.0, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy and return it; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def post_json(url: str, payload: object, timeout: float = 30.0) -> object:
    """POST `payload` as JSON and return the decoded JSON answer."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET `url` and return (status, body); fails the test when nothing answers."""
    answer = http_status(url, timeout=timeout)
    assert answer is not None, f"nothing answered at {url}"
    return answer

"""Our start-up of the rasa-sdk action server: loopback by default, and only calls that carry the shared secret.

rasa-sdk's own `python -m rasa_sdk` binds 0.0.0.0 and trusts any caller, who may then post any sender id and
slots. Here every request but `GET /health` must carry `Authorization: Bearer <ACTION_SERVER_TOKEN>` (Rasa
sends it from endpoints.yml's `action_endpoint.headers`; a header, never the URL, so it stays out of access
logs) and is refused with 401 otherwise, compared in constant time. Without a token the server refuses to
start; in the production profile it also refuses demo settings. `GET /metrics` (Prometheus, wecom/metrics.py:
each action call's seconds by action and status) is not an open path: the scraper sends the same bearer secret.

    ACTION_SERVER_TOKEN=… python -m scripts.action_server --port 5055 [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import signal
import sys
from functools import partial

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json, raw
from sanic.worker.loader import AppLoader

from actions.errors import install
from wecom import logs, metrics

OPEN_PATHS = frozenset({"/health"})
log = logging.getLogger(__name__)


def authorized(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries exactly `Bearer <token>` (constant-time comparison).

    >>> authorized("Bearer s3cret", "s3cret"), authorized("Bearer wrong", "s3cret"), authorized(None, "s3cret")
    (True, False, False)
    >>> authorized("s3cret", "s3cret"), authorized("Bearer s3cret", "")
    (False, False)
    """
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].encode(), token.encode())


def build_app(token: str, package: str = "actions") -> Sanic:
    """The rasa-sdk Sanic app for `package`, behind the bearer-secret check and the no-500 guard."""
    executor = ActionExecutor()
    executor.register_package(package)
    app = install(create_app(executor, cors_origins=None))

    @app.on_request
    async def require_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorized(request.headers.get("authorization"), token):
            return None
        log.warning("action server: refused %s %s without the shared secret", request.method, request.path)
        return json({"error": "unauthorized"}, status=401)

    instrument(app, frozenset(executor.actions))

    crash_after = os.environ.get("FAULT_CRASH_AFTER_ACTION", "")
    if crash_after:  # tests/faults: die the worst way, after the action's writes and before Rasa hears back

        @app.on_response
        async def crash(request: Request, response: HTTPResponse) -> None:
            if request.path == "/webhook" and (request.json or {}).get("next_action") == crash_after:
                log.error("fault injection: the action server dies after %s", crash_after)
                os.kill(os.getpid(), signal.SIGKILL)

    return app


def instrument(app: Sanic, actions: frozenset[str]) -> None:
    """`GET /metrics`, and each `/webhook` call timed by its action (unknown names count as `unknown`, so a
    caller cannot grow the label set) and status."""

    @app.get("/metrics")
    async def scrape(_request: Request) -> HTTPResponse:
        body, content_type = metrics.exposition()
        return raw(body, content_type=content_type)

    @app.on_request
    async def start_timer(request: Request) -> None:
        request.ctx.elapsed = metrics.timer()
        logs.REQUEST_ID.set(request_id(request))

    @app.on_response
    async def observe(request: Request, response: HTTPResponse) -> None:
        elapsed = getattr(request.ctx, "elapsed", None)
        if request.path != "/webhook" or elapsed is None:
            return
        try:
            name = str((request.json or {}).get("next_action") or "")
        except Exception:  # a body that is not JSON: rasa-sdk has answered it already
            name = ""
        action = name if name in actions else "unknown"
        seconds = elapsed()
        metrics.ACTION_SECONDS.labels(action, str(response.status)).observe(seconds)
        log.info("action %s answered %s in %.0f ms", action, response.status, seconds * 1000)


def request_id(request: Request) -> str:
    """The id a /webhook call runs under: the one its message arrived with (Rasa hands the message metadata
    over in the tracker's latest message, wecom/logs.py), else the caller's X-Request-ID, else a new one."""
    carried: object = None
    if request.path == "/webhook":
        try:
            body = request.json
        except Exception:  # not JSON: rasa-sdk answers it
            body = None
        tracker = body.get("tracker") if isinstance(body, dict) else None
        latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
        metadata = latest.get("metadata") if isinstance(latest, dict) else None
        carried = metadata.get(logs.METADATA_KEY) if isinstance(metadata, dict) else None
    return logs.accepted_request_id(carried or request.headers.get(logs.HEADER))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.action_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    from services.settings import ProductionRefused, check_profile, get_settings

    settings = get_settings()
    try:
        check_profile(settings)
    except ProductionRefused as error:
        print(error, file=sys.stderr)
        return 2
    if not settings.action_server_token:
        print("ACTION_SERVER_TOKEN: required (the secret Rasa sends to the action server)", file=sys.stderr)
        return 2
    logs.configure("actions")
    loader = AppLoader(factory=partial(build_app, settings.action_server_token))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, access_log=False, motd=False, single_process=True)
    Sanic.serve_single(primary=app)
    return 0


if __name__ == "__main__":
    sys.exit(main())

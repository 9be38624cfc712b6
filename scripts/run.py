"""`make run`: start the action server, Rasa, the sender, the scheduler and the web app, wait until each is
ready, stop all on Ctrl-C.

Ports come from ACTIONS_PORT (5055), RASA_PORT (5005) and WEB_PORT (8000); logs go to var/log/. With
APP_ENV=production nothing starts while a demo or missing setting remains (each is named).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from scripts.services import (
    ROOT,
    Service,
    ServiceError,
    action_server,
    rasa_server,
    scheduler,
    sender,
    web_app,
    write_endpoints,
)

LOG_DIR = ROOT / "var" / "log"


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit():
        sys.exit(f"{name} must be a port number, got {value!r}")
    return int(value)


def _services() -> tuple[list[Service], int, int]:
    """The services (action server, Rasa, sender, scheduler, web app) on their configured ports, and the web and
    Rasa ports."""
    actions_port = _port("ACTIONS_PORT", 5055)
    rasa_port = _port("RASA_PORT", 5005)
    web_port = _port("WEB_PORT", 8000)
    endpoints = Path(os.environ.get("RASA_ENDPOINTS", ROOT / "endpoints.yml"))
    if actions_port != 5055 and "RASA_ENDPOINTS" not in os.environ:
        endpoints = write_endpoints(
            LOG_DIR.parent / "endpoints.run.yml", f"http://127.0.0.1:{actions_port}", ROOT / "var" / "tracker.db"
        )
    # The production profile has no REST channel (it believes any sender); APP_ENV read as every service reads it.
    from services.settings import get_settings

    channels = "deploy/credentials.production.yml" if get_settings().production else "credentials.yml"
    credentials = Path(os.environ.get("RASA_CREDENTIALS", ROOT / channels))
    # Links in chat replies (proposals, charts, pushes) point at the web app users can open.
    public = {"PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or f"http://localhost:{web_port}"}
    # One bank database for every process: the Rasa process stores WeCom messages in its inbox and outbox.
    public["DATABASE_URL"] = get_settings().database_url
    web_env = {"RASA_URL": f"http://127.0.0.1:{rasa_port}", **public}
    return [
        action_server(actions_port, env=public, log_path=LOG_DIR / "actions.log"),
        rasa_server(rasa_port, endpoints, credentials, env={"DATABASE_URL": public["DATABASE_URL"]},
                    log_path=LOG_DIR / "rasa.log"),
        sender(env=public, log_path=LOG_DIR / "sender.log"),
        scheduler(env=public, log_path=LOG_DIR / "scheduler.log"),
        web_app(web_port, env=web_env, log_path=LOG_DIR / "web.log", host=os.environ.get("WEB_HOST", "127.0.0.1")),
    ], web_port, rasa_port


def _start(services: list[Service]) -> None:
    """Start every service, then wait until each answers, printing where it listens."""
    started = time.monotonic()
    for service in services:
        print(f"starting {service.name} (log: {service.log_path.relative_to(ROOT)}) …", flush=True)
        service.start()
    for service in services:
        timeout = 240.0 if service.name == "Rasa server" else 90.0
        service.wait_ready(timeout)
        print(f"  ✓ {service.name:<14} {service.url}   ({time.monotonic() - started:.0f} s)", flush=True)


def refused() -> bool:
    """In the production profile, print every demo or missing setting and refuse (all services are checked
    here, before any starts; each also refuses on its own)."""
    from services.settings import ProductionRefused, check_profile
    from web.settings import Settings

    try:
        check_profile(Settings())
    except ProductionRefused as error:
        print(error, file=sys.stderr, flush=True)
        return True
    return False


def ready_message(web_port: int, rasa_port: int) -> str:
    """What `make run` prints once everything answers: the demo's doors, or the production profile's."""
    from services.settings import get_settings

    if get_settings().production:
        return (f"\nReady (production). Web app on loopback: http://127.0.0.1:{web_port}; WeCom callbacks at "
                f"http://127.0.0.1:{rasa_port}/webhooks/wecom/ — expose both only through the edge proxy "
                "(python -m scripts.edge).\nPress Ctrl-C to stop.")
    return (f"\nReady. Web app: http://localhost:{web_port}  (API docs: /docs)\n"
            f"Rasa REST channel: POST http://localhost:{rasa_port}/webhooks/rest/webhook "
            '{"sender": "<WeCom userid>", "message": "你好"}\n'
            "Press Ctrl-C to stop.")


def main() -> int:
    if refused():
        return 2
    services, web_port, rasa_port = _services()
    stopping = False

    def stop_all(signum: int | None = None, frame: FrameType | None = None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\n正在停止所有服务 / stopping all services …", flush=True)
        for service in reversed(services):
            service.stop()
        print("已停止 / stopped.", flush=True)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    try:
        _start(services)
    except ServiceError as error:
        print(f"启动失败 / failed to start: {error}", file=sys.stderr, flush=True)
        stop_all()
        return 1
    print(ready_message(web_port, rasa_port), flush=True)
    while not stopping:
        for service in services:
            if not service.running and not stopping:
                print(f"{service.name} exited unexpectedly; see {service.log_path}", file=sys.stderr, flush=True)
                stop_all()
                return 1
        time.sleep(1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

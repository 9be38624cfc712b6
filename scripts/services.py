"""Start the Rasa server, the action server and the web app as child processes, wait until each is ready.

One definition serves `make run` (scripts/run.py) and the tests (tests/servers.py): each service is a
command line plus a readiness URL. Children run in their own process group so that stopping a service
also stops anything it spawned (Rasa forks Sanic workers).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
VENV_RASA = ROOT / ".venv-rasa"
MODEL = ROOT / "models" / "current.tar.gz"

# Quiet, offline and reproducible children.
BASE_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "PYTHONUNBUFFERED": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "OMP_WAIT_POLICY": "passive",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


# The secrets between our services: taken from the environment when set (production sets them), else made
# once per process, so `make run` and the tests' servers always talk to each other with one.
INTERNAL_SECRETS = {name: os.environ.get(name) or secrets.token_urlsafe(32)
                    for name in ("ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN", "WEB_CHANNEL_SECRET")}


class ServiceError(RuntimeError):
    """A service exited early or did not become ready in time."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str, timeout: float = 2.0) -> tuple[int, bytes] | None:
    """GET `url`: its status and body, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


@dataclass
class Service:
    """One child process: how to start it and how to tell it is ready."""

    name: str
    command: list[str]
    ready_url: str
    url: str
    env: Mapping[str, str] = field(default_factory=dict)
    ready_check: Callable[[bytes], bool] | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        """Spawn the process in its own process group, its output going to `log_path` (or inherited)."""
        env = {**os.environ, **BASE_ENV, **INTERNAL_SECRETS, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        stdout = None
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stdout = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float, any_status: bool = False) -> Service:
        """Poll the readiness URL until it answers 200 (any status with `any_status`), the process dies,
        or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        settled = time.monotonic() + 2.0  # a worker without a URL is ready once it has run this long
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited with code {self.process.returncode}{self._log_tail()}")
            if not self.ready_url:
                if time.monotonic() >= settled:
                    return self
                time.sleep(0.2)
                continue
            answer = http_status(self.ready_url)
            if answer is not None and (
                any_status or (answer[0] == 200 and (self.ready_check is None or self.ready_check(answer[1])))
            ):
                return self
            time.sleep(0.5)
        raise ServiceError(f"{self.name} was not ready after {timeout:.0f} s{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n--- last lines of " + str(self.log_path) + " ---\n" + "\n".join(tail)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left after `grace` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            pgid = os.getpgid(self.process.pid)
        except ProcessLookupError:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Children that outlived the leader still belong to the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole process group at once, with no chance to clean up: a crash, for the fault tests."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
        self.process.wait(timeout=10.0)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def rasa_has_model(body: bytes) -> bool:
    """Whether the answer of Rasa's `/status` names a loaded model (Rasa opens its port before loading it)."""
    try:
        return bool(json.loads(body).get("model_file"))
    except (ValueError, AttributeError):
        return False


def action_server(port: int, env: Mapping[str, str] | None = None, log_path: Path | None = None) -> Service:
    """The action server (Python 3.11) serving the `actions` package on loopback, behind the shared secret
    (scripts/action_server.py)."""
    return Service(
        name="action server",
        command=[str(VENV / "bin" / "python"), "-m", "scripts.action_server", "--port", str(port)],
        ready_url=f"http://127.0.0.1:{port}/health",
        url=f"http://127.0.0.1:{port}",
        env=dict(env or {}),
        log_path=log_path,
    )


def rasa_server(
    port: int,
    endpoints: Path,
    credentials: Path,
    model: Path = MODEL,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> Service:
    """Rasa Open Source 3.6 (Python 3.10) on loopback, its HTTP API behind RASA_AUTH_TOKEN; ready once the
    model is loaded. Started through bot/server.py (Rasa's command line with the compiled action-answer check)."""
    token = {**INTERNAL_SECRETS, **(env or {})}["RASA_AUTH_TOKEN"]
    return Service(
        name="Rasa server",
        command=[
            # One argument with "=": a random token may start with "-", which argparse would take for an option.
            str(VENV_RASA / "bin" / "python"), "-m", "bot.server", "run", "--enable-api", f"--auth-token={token}",
            "--model", str(model), "--endpoints", str(endpoints), "--credentials", str(credentials),
            "--port", str(port), "--interface", "127.0.0.1",
        ],
        ready_url=f"http://127.0.0.1:{port}/status?token={token}",
        url=f"http://127.0.0.1:{port}",
        env=dict(env or {}),
        ready_check=rasa_has_model,
        log_path=log_path,
    )


def sender(env: Mapping[str, str] | None = None, log_path: Path | None = None) -> Service:
    """The outbox sender worker (Python 3.11, services/outbox.py): delivers every outgoing WeCom message with
    retries; it has no port, and is ready once it runs."""
    return Service(
        name="sender",
        command=[str(VENV / "bin" / "python"), "-m", "services.outbox", "run"],
        ready_url="",
        url="",
        env=dict(env or {}),
        log_path=log_path,
    )


def scheduler(env: Mapping[str, str] | None = None, log_path: Path | None = None) -> Service:
    """The scheduler (Python 3.11, services/scheduler.py): runs the jobs (the advisors' morning briefings …) at
    their times, idempotently; no port, ready once it runs."""
    return Service(
        name="scheduler",
        command=[str(VENV / "bin" / "python"), "-m", "services.scheduler", "run"],
        ready_url="",
        url="",
        env=dict(env or {}),
        log_path=log_path,
    )


def web_app(port: int, env: Mapping[str, str] | None = None, log_path: Path | None = None,
            host: str = "127.0.0.1") -> Service:
    """The FastAPI web app served by uvicorn."""
    return Service(
        name="web app",
        command=[str(VENV / "bin" / "python"), "-m", "uvicorn", "web.app:app", "--host", host, "--port", str(port)],
        ready_url=f"http://127.0.0.1:{port}/health",
        url=f"http://127.0.0.1:{port}",
        env=dict(env or {}),
        log_path=log_path,
    )


def write_endpoints(path: Path, action_url: str, tracker_db: Path | None = None) -> Path:
    """Write a Rasa endpoints.yml pointing at `action_url`, with an SQL tracker store when `tracker_db` is given."""
    lines = ["action_endpoint:", f'  url: "{action_url}/webhook"', "  headers:",
             '    Authorization: Bearer ${ACTION_SERVER_TOKEN}']
    if tracker_db is not None:
        lines += ["tracker_store:", "  type: SQL", "  dialect: sqlite", f'  db: "{tracker_db}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

"""The scale set-up's own services started as a host starts them: supervisord with the role files of
deploy/supervisord (actions.conf, rasa.conf, app.conf), unchanged, on their loopback ports, with the settings in
supervisord's environment. Each program is reached through the interface the tests use for a process of
scripts/services.py (`url`, `process.pid`, `wait_ready`, `kill`, `stop`), so the scale test and the load bench
drive the deployment layout itself.

The data role (PostgreSQL, Redis) and the edge are the stack's own (tests/scale/stack.py): a temporary
PostgreSQL without a password on a socket and a Redis without persistence, and the same edge program as
edge.conf on a free port without TLS.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scripts.services import ROOT, ServiceError, http_status

SUPERVISORD = ROOT / "deploy" / "supervisord"
CONFIG = SUPERVISORD / "supervisord.conf"
ROLES = "actions.conf rasa.conf app.conf"
VAR = ROOT / "var"
METRICS_PORTS = {"sender": 9101, "scheduler": 9102}
"""app.conf's metrics ports of the two workers (OUTBOX_METRICS_PORT, SCHEDULER_METRICS_PORT)."""
PORTS = {"rasa-1": 5005, "rasa-2": 5006, "actions:actions-5055": 5055, "actions:actions-5056": 5056, "web": 8000,
         **METRICS_PORTS}
"""The role files' ports: free before supervisord starts, or the stack refuses (is `make run` running?)."""


def busy_ports(ports: list[int]) -> list[int]:
    """Which of `ports` something on 127.0.0.1 already listens on."""
    taken = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(port)
    return taken


class Supervisor:
    """One supervisord with deploy/supervisord/supervisord.conf and its roles, and its supervisorctl."""

    def __init__(self, env: Mapping[str, str], roles: str = ROLES) -> None:
        self.env = {**os.environ, **env, "WEALTH_ROLES": roles}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Supervisor:
        taken = busy_ports(list(PORTS.values()))
        if taken:
            raise ServiceError(f"ports {taken} are in use: the supervisord layout listens on {sorted(PORTS.values())}"
                               " (stop `make run` or another layout first)")
        (VAR / "log").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "supervisord"), "-c", str(CONFIG)], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"supervisord exited with code {self.process.returncode}: "
                                   f"{self.log_tail(VAR / 'log' / 'supervisord.log')}")
            if self.ctl("status", check=False).returncode in (0, 3):  # 3: some program not running yet
                return self
            time.sleep(0.3)
        raise ServiceError("supervisord did not answer supervisorctl within 30 s")

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run supervisorctl against this supervisord."""
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(CONFIG), *args], cwd=ROOT,
                                env=self.env, capture_output=True, text=True, timeout=60)
        if check and result.returncode not in (0, 3):
            raise ServiceError(f"supervisorctl {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    def pid(self, name: str) -> int:
        """The running program's process id (0 while it is not running)."""
        answer = self.ctl("pid", name, check=False).stdout.strip()
        return int(answer) if answer.isdigit() else 0

    def state(self, name: str) -> str:
        """RUNNING, STARTING, BACKOFF, STOPPED, EXITED, FATAL… as supervisorctl status shows it."""
        fields = self.ctl("status", name, check=False).stdout.split()
        return fields[1] if len(fields) > 1 else "UNKNOWN"

    def stop(self) -> None:
        """Stop every program, then supervisord (its process group is killed if it hangs)."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(Exception):
            self.ctl("shutdown", check=False)
            self.process.wait(timeout=60)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
            self.process.wait(timeout=10)

    @staticmethod
    def log_tail(path: Path, lines: int = 30) -> str:
        if not path.exists():
            return ""
        tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n--- last lines of " + str(path) + " ---\n" + "\n".join(tail)


@dataclass
class Running:
    """A process id as the bench and tests read it (`pid`, `poll()`)."""

    pid: int

    def poll(self) -> int | None:
        return None if Path(f"/proc/{self.pid}").exists() else 0


@dataclass
class Program:
    """One program of the layout, as tests drive a service: it is supervisord's to start and restart."""

    supervisor: Supervisor
    name: str
    url: str
    ready_url: str
    log_path: Path
    ready_check: Callable[[bytes], bool] | None = field(default=None)

    @property
    def process(self) -> Running | None:
        pid = self.supervisor.pid(self.name)
        return Running(pid) if pid else None

    def start(self) -> Program:
        """Start it unless supervisord already runs it (or restarts it after a crash: autorestart)."""
        if self.supervisor.state(self.name) in ("STOPPED", "EXITED", "FATAL"):
            self.supervisor.ctl("start", self.name)
        return self

    def wait_ready(self, timeout: float) -> Program:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.supervisor.state(self.name)
            if state == "FATAL":
                raise ServiceError(f"{self.name} could not be started{Supervisor.log_tail(self.log_path)}")
            if state == "RUNNING" and not self.ready_url:  # a worker without a port: running is ready
                return self
            answer = http_status(self.ready_url) if state == "RUNNING" else None
            if answer is not None and answer[0] == 200 and (self.ready_check is None or self.ready_check(answer[1])):
                return self
            time.sleep(0.5)
        raise ServiceError(f"{self.name} was not ready after {timeout:.0f} s{Supervisor.log_tail(self.log_path)}")

    def kill(self) -> None:
        """SIGKILL the running process, a crash: supervisord starts it again (autorestart)."""
        pid = self.supervisor.pid(self.name)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        self.supervisor.ctl("stop", self.name, check=False)

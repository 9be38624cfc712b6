"""`make run`'s runner (scripts/run.py): starts all three services, reports readiness, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.run import LOG_DIR
from scripts.services import free_port, rasa_server, write_endpoints
from tests.servers import get, post_json

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.conversation, pytest.mark.slow]


def processes_mentioning(needles: list[str]) -> dict[int, str]:
    """Live processes whose command line contains any of `needles` (ports are unique to this test)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(needle in cmdline for needle in needles):
            found[int(entry.name)] = cmdline
    return found


def test_run_starts_everything_and_ctrl_c_stops_every_process(demo_db_url: str, tmp_path: Path) -> None:
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    endpoints = write_endpoints(tmp_path / "endpoints.yml", f"http://127.0.0.1:{actions_port}")
    env = {
        **os.environ,
        "DATABASE_URL": demo_db_url,
        "ACTIONS_PORT": str(actions_port),
        "RASA_PORT": str(rasa_port),
        "WEB_PORT": str(web_port),
        "RASA_ENDPOINTS": str(endpoints),
    }
    runner = subprocess.Popen(
        [sys.executable, "-m", "scripts.run"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output: list[str] = []
    try:
        assert runner.stdout is not None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = runner.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("Ready."):
                break
        assert any(line.startswith("Ready.") for line in output), "".join(output)
        assert f"http://localhost:{web_port}" in "".join(output)

        assert get(f"http://127.0.0.1:{web_port}/health")[0] == 200
        assert get(f"http://127.0.0.1:{actions_port}/health")[0] == 200
        answer = post_json(
            f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", {"sender": "someone-new", "message": "你好"}
        )
        assert isinstance(answer, list) and "登记" in answer[0]["text"]

        ports = [f"--port {actions_port}", f"--port {rasa_port}", f"--port {web_port}"]
        children = processes_mentioning(ports)
        assert len(children) >= 3, children

        assert "✓ sender" in "".join(output)  # the outbox's sender worker runs beside them

        runner.send_signal(signal.SIGINT)
        assert runner.wait(timeout=60) == 0
        time.sleep(1.0)
        assert processes_mentioning(ports) == {}
        sender_log = (LOG_DIR / "sender.log").read_text(encoding="utf-8").splitlines()
        started = max(i for i, line in enumerate(sender_log) if "outbox sender started" in line)
        assert any("outbox sender stopped" in line for line in sender_log[started:])
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


def test_a_rasa_auth_token_starting_with_a_dash_stays_one_argument(tmp_path: Path) -> None:
    service = rasa_server(5005, tmp_path / "e.yml", tmp_path / "c.yml", env={"RASA_AUTH_TOKEN": "-Xy_z"})
    assert "--auth-token=-Xy_z" in service.command and "-Xy_z" not in service.command

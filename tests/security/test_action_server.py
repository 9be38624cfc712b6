"""The action server refuses every call without the shared secret, binds loopback, and will not start without
a secret: the hand-made call that once read a client's profile as `zhangmin` is refused for real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.action_server import authorized
from scripts.services import INTERNAL_SECRETS, ROOT, Service
from tests.servers import start_action_server

TOKEN = INTERNAL_SECRETS["ACTION_SERVER_TOKEN"]
# The attack of the issue: claim an advisor and ask for a client's profile.
PROFILE_CALL = {"next_action": "action_adv_client_profile", "sender_id": "zhangmin", "version": "3.6.21",
                "tracker": {"sender_id": "zhangmin", "slots": {"role": "advisor"}, "events": [],
                            "latest_message": {"text": "帮我看看于蓉的画像", "intent": {"name": "client_profile"},
                                               "entities": []}},
                "domain": {}}


def post(url: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def server(demo_db_url: str) -> Iterator[Service]:
    service = start_action_server(env={"DATABASE_URL": demo_db_url})
    yield service
    service.stop()


@pytest.mark.parametrize("header", [None, "Bearer wrong-secret", f"Token {TOKEN}", f"Bearer {TOKEN}x", "Bearer "])
def test_a_call_without_the_secret_is_refused(server: Service, header: str | None) -> None:
    status, body = post(f"{server.url}/webhook", PROFILE_CALL, {"Authorization": header} if header else None)
    assert status == 401 and body == {"error": "unauthorized"}


def test_the_secret_in_the_url_is_not_accepted(server: Service) -> None:
    status, _ = post(f"{server.url}/webhook?token={TOKEN}", PROFILE_CALL)
    assert status == 401


def test_rasa_with_the_secret_is_served(server: Service) -> None:
    status, body = post(f"{server.url}/webhook", PROFILE_CALL, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and "events" in body


def test_the_action_list_needs_the_secret_too(server: Service) -> None:
    request = urllib.request.Request(f"{server.url}/actions")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses a TCP socket listens on at `port` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_it_listens_on_loopback_only(server: Service) -> None:
    assert listening_addresses(int(server.url.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_it_will_not_start_without_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    run = subprocess.run([sys.executable, "-m", "scripts.action_server", "--port", "1"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "ACTION_SERVER_TOKEN: required" in run.stderr


def test_the_bearer_check() -> None:
    assert authorized(f"Bearer {TOKEN}", TOKEN)
    assert not authorized(f"bearer {TOKEN}", TOKEN) and not authorized(None, TOKEN) and not authorized("Bearer x", "")

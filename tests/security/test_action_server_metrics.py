"""The action server's /metrics: not an open path (the scraper sends the same bearer secret as Rasa), and each
action call is counted by its registered name and status, a made-up name only as `unknown`."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from scripts.services import INTERNAL_SECRETS, Service
from tests.security.test_action_server import PROFILE_CALL, post
from tests.servers import start_action_server

TOKEN = INTERNAL_SECRETS["ACTION_SERVER_TOKEN"]


@pytest.fixture(scope="module")
def server(demo_db_url: str) -> Iterator[Service]:
    service = start_action_server(env={"DATABASE_URL": demo_db_url})
    yield service
    service.stop()


def scrape(server: Service, header: str | None = f"Bearer {TOKEN}") -> tuple[int, str]:
    request = urllib.request.Request(f"{server.url}/metrics", headers={"Authorization": header} if header else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def calls(text: str, action: str, status: str) -> float:
    prefix = f'action_server_call_seconds_count{{action="{action}",status="{status}"}} '
    values = [float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0


@pytest.mark.parametrize("header", [None, "Bearer wrong-secret", f"Token {TOKEN}"])
def test_metrics_without_the_secret_is_refused(server: Service, header: str | None) -> None:
    status, body = scrape(server, header)
    assert status == 401 and "action_server_call_seconds" not in body


def test_a_served_action_call_is_counted_by_its_name(server: Service) -> None:
    before = calls(scrape(server)[1], "action_adv_client_profile", "200")
    status, _ = post(f"{server.url}/webhook", PROFILE_CALL, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    status, text = scrape(server)
    assert status == 200 and calls(text, "action_adv_client_profile", "200") == before + 1
    assert "zhangmin" not in text and "于蓉" not in text


def test_a_made_up_action_name_counts_as_unknown(server: Service) -> None:
    before = calls(scrape(server)[1], "unknown", "404")
    call = {**PROFILE_CALL, "next_action": "action_made_up_by_a_scanner"}
    status, _ = post(f"{server.url}/webhook", call, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 404
    text = scrape(server)[1]
    assert calls(text, "unknown", "404") == before + 1 and "action_made_up_by_a_scanner" not in text

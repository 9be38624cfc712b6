"""The Rasa process's /webhooks/wecom/metrics through the real server: callbacks counted by outcome (accepted,
duplicate, refused), the ACK and turn histograms move, the inbox depth is read, no sender id is a label, and
nothing is shown without the internal secret (RASA_AUTH_TOKEN, as Rasa's HTTP API)."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest

from scripts.services import INTERNAL_SECRETS
from tests.rasa_env.wecom.conftest import Stack
from tests.servers import wait_for

pytestmark = pytest.mark.slow
TOKEN = INTERNAL_SECRETS["RASA_AUTH_TOKEN"]


def scrape(stack: Stack, header: str | None = f"Bearer {TOKEN}") -> tuple[int, str]:
    request = urllib.request.Request(stack.rasa.url + "/webhooks/wecom/metrics",
                                     headers={"Authorization": header} if header else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def value(text: str, sample: str) -> float:
    """One sample's value in a scraped text (0 when absent)."""
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(sample + " ")]
    return values[0] if values else 0.0


def metrics(stack: Stack) -> str:
    status, text = scrape(stack)
    assert status == 200
    return text


CALLBACK = 'wecom_callbacks_total{{channel="wecom",outcome="{}"}}'
ACKS = 'wecom_callback_ack_seconds_count{channel="wecom"}'
TURNS = 'wecom_turn_seconds_count{channel="app"}'


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", TOKEN])
def test_metrics_without_the_internal_secret_are_refused(stack: Stack, header: str | None) -> None:
    status, text = scrape(stack, header)
    assert status == 401 and "wecom_callbacks" not in text


def test_a_callback_its_retry_and_a_forgery_are_counted_and_the_turn_is_timed(stack: Stack) -> None:
    before = metrics(stack)
    user = "sim" + uuid.uuid4().hex[:10]
    body, query = stack.app.signed(stack.app.text_xml(user, "你好"))
    assert stack.app.post_raw(query, body).status == 200
    assert stack.app.post_raw(query, body).status == 200  # WeCom's retry: the same message, stored before
    forged = stack.app.post_raw({**query, "msg_signature": "0" * 40}, body)
    assert forged.status is not None and 400 <= forged.status < 500

    def turn_counted() -> str:
        text = metrics(stack)
        return text if value(text, TURNS) > value(before, TURNS) else ""

    after = wait_for(turn_counted, timeout_s=60, what="the turn counted")
    for outcome in ("accepted", "duplicate", "refused"):
        assert value(after, CALLBACK.format(outcome)) == value(before, CALLBACK.format(outcome)) + 1, outcome
    assert value(after, ACKS) == value(before, ACKS) + 2  # the two 200s; a refusal is no ACK
    assert 'wecom_inbox_depth{state="pending"}' in after and 'wecom_inbox_depth{state="failed"}' in after
    assert user not in after and "你好" not in after

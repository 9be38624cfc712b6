"""Two Rasa instances behind the edge proxy (nginx), sharing conversations through Rasa's SQL tracker store on
PostgreSQL and its RedisLockStore, each with its own action server; the bank, the inbox and the outbox on the
same PostgreSQL. A few hundred signed WeCom callbacks, one Rasa instance killed in the middle: every message is
answered exactly once, and conversations begun on the killed instance go on on the other.

Each user runs the first three steps of a check-up (财富体检 → 35岁 → 2万): the third answer is only understood
with the form state the second one left, so a conversation that lost its tracker would answer differently.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from scripts.services import INTERNAL_SECRETS
from tests.domain_texts import responses
from tests.scale.stack import ScaleStack, scale_stack
from tests.scale.supervised import METRICS_PORTS
from tests.servers import wait_for

pytestmark = pytest.mark.slow

USERS = 70
TURNS = ("财富体检", "35岁", "2万")  # 210 callbacks
KILL_AFTER = USERS  # callbacks sent before one instance is killed (a third of them)
WORKERS = 6  # users talking at once
ASK_EXPENSES = responses()["utter_ask_checkup_expenses"][0]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleStack]:
    with scale_stack(tmp_path_factory.mktemp("scale")) as running:
        yield running


def callbacks_by_instance(stack: ScaleStack) -> dict[str, int]:
    """WeCom callbacks nginx passed to each Rasa instance (by port), from its access log's $upstream_addr."""
    counts: dict[str, int] = {}
    for line in stack.edge.access_log.read_text(encoding="utf-8").splitlines():
        if "/webhooks/wecom/" not in line:
            continue
        for address in re.findall(r"127\.0\.0\.1:(\d+)", line):  # only $upstream_addr has a port
            counts[address] = counts.get(address, 0) + 1
    return counts


def replays(stack: ScaleStack) -> int:
    """Inbox messages whose turn needed more than one attempt (taken over from the killed instance)."""
    from wecom.inbox import Inbox
    from wecom.tables import inbox

    with Inbox.shared(stack.postgres.url).engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(inbox).where(inbox.c.attempts > 1)).scalar() or 0)


def converse(stack: ScaleStack, user: str, sent: list[int], lock: threading.Lock, expected: list[int]) -> None:
    """One user's turns, each sent once the reply to the one before has arrived (as a person would)."""
    for turn, message in enumerate(TURNS):
        attempts = stack.app.deliver(stack.app.text_xml(user, message))
        assert attempts[-1].status == 200, attempts
        with lock:
            sent[0] += 1
        if turn < len(TURNS) - 1:
            wait_for(lambda t=turn: len(stack.texts_to(user)) >= expected[t], 180.0,
                     f"reply {turn} to {user} (has {stack.texts_to(user)}; inbox {stack.inbox()})")


def test_every_message_is_answered_once_while_an_instance_dies(stack: ScaleStack) -> None:
    probe = "scale-probe"
    per_turn: list[int] = []  # how many messages the user has after each turn
    for message in TURNS:  # one conversation alone first: what every user should see, in order
        before = len(stack.texts_to(probe))
        stack.app.deliver(stack.app.text_xml(probe, message))
        wait_for(lambda b=before: len(stack.texts_to(probe)) > b, 120.0, "the probe's reply")
        time.sleep(1.5)  # a turn's replies go out together
        per_turn.append(len(stack.texts_to(probe)))
    expected = stack.texts_to(probe)
    assert expected[-1] == ASK_EXPENSES, expected  # the form kept its state from turn to turn

    users = [f"scale{uuid.uuid4().hex[:8]}" for _ in range(USERS)]
    started = time.monotonic()
    sent, lock = [0], threading.Lock()
    errors: list[BaseException] = []

    def run(batch: list[str]) -> None:
        for user in batch:
            try:
                converse(stack, user, sent, lock, per_turn)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(users[i::WORKERS],)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    wait_for(lambda: sent[0] >= KILL_AFTER, 240.0, f"{KILL_AFTER} callbacks sent")
    stack.rasa[0].kill()  # mid-run: some of its turns are leased, some replies not yet written
    killed_at = sent[0]
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[:3]
    wait_for(lambda: all(len(stack.texts_to(u)) >= len(expected) for u in users), 120.0, "every last reply")
    time.sleep(3.0)  # anything doubled would arrive now
    wrong = {u: stack.texts_to(u) for u in users if stack.texts_to(u) != expected}
    assert not wrong, (f"{len(wrong)} of {USERS} conversations differ (instance killed after {killed_at} "
                       f"callbacks); first: {next(iter(wrong.items()))}; expected {expected}")
    assert sent[0] == USERS * len(TURNS)
    routed = callbacks_by_instance(stack)
    ports = [r.url.rsplit(":", 1)[1] for r in stack.rasa]
    assert all(routed.get(port, 0) > 0 for port in ports), routed  # nginx balanced over both instances
    replayed = replays(stack)
    print(f"\nscale: {sent[0]} callbacks from {USERS} users, instance {ports[0]} killed after {killed_at}; "
          f"callbacks per instance {routed}; turns taken over after the kill {replayed}; "
          f"all answered {time.monotonic() - started:.1f} s after the first")
    stack.rasa[0].start().wait_ready(240.0)  # it comes back and takes its share again
    again = f"scale{uuid.uuid4().hex[:8]}"
    stack.app.deliver(stack.app.text_xml(again, TURNS[0]))
    wait_for(lambda: len(stack.texts_to(again)) >= per_turn[0], 120.0, "a reply after the restart")


def scrape(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_every_service_of_the_layout_serves_its_metrics(stack: ScaleStack) -> None:
    """Prometheus metrics of every program supervisord runs, on the ports and behind the secrets of the layout."""
    rasa_token, actions_token = INTERNAL_SECRETS["RASA_AUTH_TOKEN"], INTERNAL_SECRETS["ACTION_SERVER_TOKEN"]
    services = stack.services
    endpoints = {
        "rasa-1": (services["rasa-1"].url + "/webhooks/wecom/metrics", rasa_token, "# TYPE wecom_turn_seconds"),
        "rasa-2": (services["rasa-2"].url + "/webhooks/wecom/metrics", rasa_token, "# TYPE wecom_turn_seconds"),
        "actions-1": (services["actions-1"].url + "/metrics", actions_token, "action_server_call_seconds_count"),
        "actions-2": (services["actions-2"].url + "/metrics", actions_token, "action_server_call_seconds_count"),
        "web": (services["web"].url + "/metrics", None, "# TYPE web_http_request_seconds"),
        "sender": (f"http://127.0.0.1:{METRICS_PORTS['sender']}/metrics", None, 'wecom_outbox_depth{state="pending"}'),
        "scheduler": (f"http://127.0.0.1:{METRICS_PORTS['scheduler']}/metrics", None, "# TYPE scheduler_job_runs"),
    }
    bodies = {}
    for role, (url, token, family) in endpoints.items():
        status, body = scrape(url, token)
        assert status == 200 and family in body, f"{role}: {status} {body[:300]}"
        assert "process_cpu_seconds_total" in body, role
        bodies[role] = body
        if token:  # behind the internal secret
            assert scrape(url)[0] == 401 and scrape(url, "wrong")[0] == 401, role
    accepted = sum(float(line.rsplit(" ", 1)[1]) for role in ("rasa-1", "rasa-2")
                   for line in bodies[role].splitlines()
                   if line.startswith('wecom_callbacks_total{channel="wecom",outcome="accepted"}'))
    assert accepted >= 1, "the callbacks since the restart were counted"

"""WeCom channel benchmark: callback acknowledgement and end-to-end reply latency for 50 concurrent users.

Real Rasa + action server (tests/servers.py), the fake WeCom API and the callback simulator. Baselines in
the same run: Rasa's GET / (acknowledgement floor) and the REST channel's synchronous reply (the same bot
without WeCom). Run: .venv/bin/python bench/bench_wecom.py [--users 50] [--turns 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import start_action_server, start_rasa  # noqa: E402
from tests.wecom_peer.fake_api import FakeWeCom  # noqa: E402
from tests.wecom_peer.simulator import CallbackSimulator  # noqa: E402

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TOKEN = "benchtoken"
TEXTS = ("你好", "谢谢你", "好的，拜拜")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def rest_turn(url: str, user: str, text: str) -> float:
    started = time.perf_counter()
    body = json.dumps({"sender": user, "message": text}).encode()
    request = urllib.request.Request(url + "/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()
    return time.perf_counter() - started


def ping(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url + "/", timeout=10) as answer:
        answer.read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-wecom-"))
    db = f"sqlite:///{work / 'bank.db'}"
    subprocess.run([sys.executable, "-m", "bank", "demo", "--seed", "7", "--today", "2026-11-28"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": db}, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    fake = FakeWeCom(corp_id="wwbenchcorp").start()
    credentials = work / "credentials.yml"
    credentials.write_text("rest:\nbot.channels.wecom.WeComInput:\n", encoding="utf-8")
    env = {"WECOM_CORP_ID": fake.corp_id, "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret",
           "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": fake.api_base,
           "WECOM_STATE_DIR": str(work / "state"), "WECOM_MAX_CONCURRENT": os.environ.get("WECOM_MAX_CONCURRENT", "2")}
    actions = start_action_server(env={"DATABASE_URL": db})
    rasa = None
    try:
        rasa = start_rasa(credentials=credentials, action_url=actions.url, workdir=work, env=env)
        sim = CallbackSimulator(rasa.url + "/webhooks/wecom/", TOKEN, AES_KEY, fake.corp_id)
        acks: list[float] = []
        replies: list[float] = []

        def wecom_user(_: int) -> None:
            user = "bench" + uuid.uuid4().hex[:8]
            for turn, text in enumerate(TEXTS[: args.turns], 1):
                started_wall = time.time()
                attempts = sim.deliver(sim.text_xml(user, text))
                assert attempts[-1].status == 200
                acks.append(attempts[-1].latency_s)
                arrived = fake.wait_sent("message/send", user, turn, timeout_s=120)
                assert arrived is not None, "a reply was lost"
                replies.append(arrived - started_wall)

        def rest_user(_: int) -> None:
            user = "rest" + uuid.uuid4().hex[:8]
            for text in TEXTS[: args.turns]:
                rest_times.append(rest_turn(rasa.url, user, text))

        rest_times: list[float] = []
        for _ in range(5):  # warm up both paths
            rest_turn(rasa.url, "warm" + uuid.uuid4().hex[:6], "你好")
        pings = [ping(rasa.url) for _ in range(200)]
        with ThreadPoolExecutor(args.users) as pool:
            list(pool.map(rest_user, range(args.users)))
        started = time.perf_counter()
        with ThreadPoolExecutor(args.users) as pool:
            list(pool.map(wecom_user, range(args.users)))
        wall = time.perf_counter() - started
        print(f"WeCom channel, {args.users} concurrent users x {args.turns} turns "
              f"({len(acks)} callbacks, {wall:.1f} s wall, all replies arrived)")
        print(f"{'measure':<44}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
        rows = [
            ("baseline: Rasa GET / (sequential)", pings),
            ("callback acknowledgement (encrypted POST)", acks),
            ("baseline: REST channel reply, same load", rest_times),
            ("WeCom end-to-end reply (callback->send)", replies),
        ]
        for name, values in rows:
            print(f"{name:<44}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}{pct(values, 99):>10.1f}")
        print(f"ratio ack p50 / GET p50: {statistics.median(acks) / statistics.median(pings):.2f}x; "
              f"ratio WeCom reply p50 / REST reply p50: {statistics.median(replies) / statistics.median(rest_times):.2f}x")
    finally:
        if rasa is not None:
            rasa.stop()
        actions.stop()
        fake.stop()


if __name__ == "__main__":
    main()

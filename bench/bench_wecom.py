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
from dataclasses import dataclass, field
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
    """Nearest-rank percentile `q` of durations in seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def rest_turn(url: str, user: str, text: str) -> float:
    """Seconds for one synchronous REST-channel turn (POST until the reply body is read)."""
    started = time.perf_counter()
    body = json.dumps({"sender": user, "message": text}).encode()
    request = urllib.request.Request(url + "/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()
    return time.perf_counter() - started


def ping(url: str) -> float:
    """Seconds for one GET / against Rasa."""
    started = time.perf_counter()
    with urllib.request.urlopen(url + "/", timeout=10) as answer:
        answer.read()
    return time.perf_counter() - started


@dataclass
class Samples:
    """Latency samples in seconds from one benchmark run, plus the wall time of the WeCom load."""

    pings: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    rest: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    wall: float = 0.0


def parse_args() -> argparse.Namespace:
    """Command-line options: number of concurrent users and turns per user."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=3)
    return parser.parse_args()


def demo_database(work: Path) -> str:
    """Build the seeded demo bank database in `work` with `python -m bank demo`; return its URL."""
    db = f"sqlite:///{work / 'bank.db'}"
    subprocess.run([sys.executable, "-m", "bank", "demo", "--seed", "7", "--today", "2026-11-28"], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": db}, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return db


def wecom_env(fake: FakeWeCom, work: Path) -> dict[str, str]:
    """Environment for Rasa that points the WeCom channel at the fake API."""
    return {"WECOM_CORP_ID": fake.corp_id, "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret",
            "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": fake.api_base,
            "WECOM_STATE_DIR": str(work / "state"),
            "WECOM_MAX_CONCURRENT": os.environ.get("WECOM_MAX_CONCURRENT", "2")}


def run_baselines(url: str, users: int, turns: int, samples: Samples) -> None:
    """Warm up, time sequential GET / pings, then time REST-channel replies under `users` concurrent users."""

    def rest_user(_: int) -> None:
        user = "rest" + uuid.uuid4().hex[:8]
        for text in TEXTS[:turns]:
            samples.rest.append(rest_turn(url, user, text))

    for _ in range(5):  # warm up both paths
        rest_turn(url, "warm" + uuid.uuid4().hex[:6], "你好")
    samples.pings = [ping(url) for _ in range(200)]
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(rest_user, range(users)))


def run_wecom(sim: CallbackSimulator, fake: FakeWeCom, users: int, turns: int, samples: Samples) -> None:
    """Drive `users` concurrent WeCom users through encrypted callbacks; record acks, replies and wall time."""

    def wecom_user(_: int) -> None:
        user = "bench" + uuid.uuid4().hex[:8]
        for turn, text in enumerate(TEXTS[:turns], 1):
            started_wall = time.time()
            attempts = sim.deliver(sim.text_xml(user, text))
            assert attempts[-1].status == 200
            samples.acks.append(attempts[-1].latency_s)
            arrived = fake.wait_sent("message/send", user, turn, timeout_s=120)
            assert arrived is not None, "a reply was lost"
            samples.replies.append(arrived - started_wall)

    started = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(wecom_user, range(users)))
    samples.wall = time.perf_counter() - started


def print_table(users: int, turns: int, samples: Samples) -> None:
    """Print the p50/p95/p99 table of baselines and WeCom latencies and the two p50 ratios."""
    print(f"WeCom channel, {users} concurrent users x {turns} turns "
          f"({len(samples.acks)} callbacks, {samples.wall:.1f} s wall, all replies arrived)")
    print(f"{'measure':<44}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    rows = [
        ("baseline: Rasa GET / (sequential)", samples.pings),
        ("callback acknowledgement (encrypted POST)", samples.acks),
        ("baseline: REST channel reply, same load", samples.rest),
        ("WeCom end-to-end reply (callback->send)", samples.replies),
    ]
    for name, values in rows:
        print(f"{name:<44}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}{pct(values, 99):>10.1f}")
    ack_ratio = statistics.median(samples.acks) / statistics.median(samples.pings)
    reply_ratio = statistics.median(samples.replies) / statistics.median(samples.rest)
    print(f"ratio ack p50 / GET p50: {ack_ratio:.2f}x; ratio WeCom reply p50 / REST reply p50: {reply_ratio:.2f}x")


def main() -> None:
    """Start the demo bot behind the fake WeCom API, run baselines then the WeCom load, print the table."""
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-wecom-"))
    db = demo_database(work)
    fake = FakeWeCom(corp_id="wwbenchcorp").start()
    credentials = work / "credentials.yml"
    credentials.write_text("rest:\nbot.channels.wecom.WeComInput:\n", encoding="utf-8")
    env = wecom_env(fake, work)
    actions = start_action_server(env={"DATABASE_URL": db})
    rasa = None
    try:
        rasa = start_rasa(credentials=credentials, action_url=actions.url, workdir=work, env=env)
        sim = CallbackSimulator(rasa.url + "/webhooks/wecom/", TOKEN, AES_KEY, fake.corp_id)
        samples = Samples()
        run_baselines(rasa.url, args.users, args.turns, samples)
        run_wecom(sim, fake, args.users, args.turns, samples)
        print_table(args.users, args.turns, samples)
    finally:
        if rasa is not None:
            rasa.stop()
        actions.stop()
        fake.stop()


if __name__ == "__main__":
    main()

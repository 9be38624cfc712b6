"""Load test through the WeCom callback path: 1 Rasa instance vs 2 behind the edge proxy (tests/scale/stack.py),
ramping to 50, 100 and 200 concurrent users with think time between turns.

Users are drawn from 5,000 client ids (mixed journeys: a check-up's first steps, a knowledge question, a
greeting) and the demo bank's advisors (their briefing and dashboard). Per level: turns/s, ACK p50/p99 (the
callback's 200 through nginx), reply p50/p95/p99 (callback sent → first reply at the fake WeCom API), errors
(no 200, or no reply within 60 s) and memory (RSS) per process. The load generator runs on the same 2-core
machine, which limits what a second instance can add.

Run: .venv/bin/python bench/bench_scale.py [--levels 50,100,200] [--think 5] [--turns 3] [--instances 1,2]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scale.stack import ScaleStack, scale_stack  # noqa: E402

CLIENT_IDS = 5000
ADVISORS = ("zhangmin", "liqiang", "wanglei", "liuyang", "zhoujie", "wuting", "sunhao")
CLIENT_JOURNEYS = (("财富体检", "35岁", "2万"), ("你好", "个人养老金每年最多能存多少", "谢谢"),
                   ("你好", "货币基金安全吗", "好的，拜拜"))
ADVISOR_JOURNEYS = (("今天有什么要做的", "我的看板", "谢谢"),)
REPLY_TIMEOUT_S = 60.0


@dataclass
class Samples:
    ack: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    errors: int = 0
    turns: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile `q` of durations in seconds, in milliseconds (nan without values).

    >>> pct([0.1, 0.2, 0.3, 0.4], 50), pct([], 50) != pct([], 50)
    (200.0, True)
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def rss_mb(stack: ScaleStack) -> dict[str, float]:
    """Resident memory of each process of the stack (its process group leader), in MB."""
    sizes = {}
    for role, service in stack.services.items():
        if service.process is None:
            continue
        try:
            status = Path(f"/proc/{service.process.pid}/status").read_text()
        except OSError:
            continue
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
        sizes[role] = int(line.split()[1]) / 1024
    return sizes


def user(stack: ScaleStack, sender: str, journey: tuple[str, ...], think_s: float, samples: Samples) -> None:
    """One person's turns: send, wait for the first reply, think, send the next."""
    for number, text in enumerate(journey):
        if number:
            time.sleep(random.uniform(0.5, 1.5) * think_s)
        before = len(stack.fake.sent("message/send", to=sender))
        sent_at = time.time()
        attempts = stack.app.deliver(stack.app.text_xml(sender, text))
        arrived = stack.fake.wait_sent("message/send", sender, before + 1, REPLY_TIMEOUT_S)
        with samples.lock:
            samples.turns += 1
            if attempts[-1].status == 200:
                samples.ack.append(attempts[-1].latency_s)
            if attempts[-1].status != 200 or arrived is None:
                samples.errors += 1
            else:
                samples.reply.append(arrived - sent_at)


def run_level(stack: ScaleStack, users: int, turns: int, think_s: float, ramp_s: float) -> tuple[Samples, float]:
    """`users` people starting over `ramp_s` seconds; the samples and the wall time from first send to last reply."""
    samples = Samples()
    rng = random.Random(users)
    threads = []
    started = time.monotonic()
    for n in range(users):
        if n < len(ADVISORS):  # the advisors, once each (one conversation per person at a time)
            sender, journey = ADVISORS[n], ADVISOR_JOURNEYS[0]
        else:
            sender = f"wm{rng.randrange(CLIENT_IDS):05d}{uuid.uuid4().hex[:4]}"
            journey = CLIENT_JOURNEYS[rng.randrange(len(CLIENT_JOURNEYS))]
        thread = threading.Thread(target=user, args=(stack, sender, journey[:turns], think_s, samples), daemon=True)
        threads.append(thread)
        thread.start()
        time.sleep(ramp_s / users)
    for thread in threads:
        thread.join(timeout=turns * (think_s * 1.5 + REPLY_TIMEOUT_S + 10))
    return samples, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="50,100,200")
    parser.add_argument("--instances", default="1,2")
    parser.add_argument("--think", type=float, default=5.0, help="seconds between a reply and the next message")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which a level's users start")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rows = []
    for instances in (int(x) for x in args.instances.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as work, \
                scale_stack(Path(work), instances=instances) as stack:
            user(stack, "bench-warmup", CLIENT_JOURNEYS[1], 0.0, Samples())  # load the models' caches once
            for users in levels:
                samples, wall = run_level(stack, users, args.turns, args.think, args.ramp)
                memory = rss_mb(stack)
                rows.append((instances, users, samples, wall, memory))
                print(f"... {instances} instance(s), {users} users: {samples.turns} turns in {wall:.0f} s",
                      file=sys.stderr)
    print(f"WeCom callback path through nginx, {args.turns} turns per user, think {args.think:g} s "
          f"(0.5–1.5×), ramp {args.ramp:g} s; load generator on the same machine")
    print(f"{'inst':>4}{'users':>6}{'turns/s':>9}{'ACK p50':>9}{'ACK p99':>9}{'reply p50':>10}{'p95':>8}{'p99':>8}"
          f"{'errors':>8}  memory MB (RSS)")
    for instances, users, samples, wall, memory in rows:
        mem = ", ".join(f"{role} {mb:.0f}" for role, mb in memory.items() if role.startswith(("rasa", "actions")))
        print(f"{instances:>4}{users:>6}{samples.turns / wall:>9.1f}{pct(samples.ack, 50):>9.0f}"
              f"{pct(samples.ack, 99):>9.0f}{pct(samples.reply, 50):>10.0f}{pct(samples.reply, 95):>8.0f}"
              f"{pct(samples.reply, 99):>8.0f}{samples.errors:>8}  {mem}")
    by = {(i, u): s.turns / w for i, u, s, w, _ in rows}
    for users in levels:
        if (1, users) in by and (2, users) in by:
            print(f"{users} users: 2 instances / 1 instance throughput {by[(2, users)] / by[(1, users)]:.2f}x")


if __name__ == "__main__":
    main()

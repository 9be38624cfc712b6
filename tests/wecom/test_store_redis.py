"""The shared stores against a real Redis server: two processes agree on seen callbacks and share tokens.

This is what lets several Rasa instances behind a load balancer answer a retried WeCom callback once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.services import free_port
from wecom.callbacks import first_time
from wecom.store import make_store

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

# One "instance" of the channel: sees a batch of callback ids and prints those it would process.
WORKER = """
import sys
from wecom.callbacks import first_time
from wecom.store import make_store
store = make_store(sys.argv[1])
ids = sys.argv[2].split(",")
print(",".join(i for i in ids if first_time(store, "app", i)))
"""


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is missing: run `make setup-test-system` (apt-get install redis-server)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


class TestRedisStore:
    def test_two_processes_process_each_retried_callback_exactly_once(self, redis_url: str) -> None:
        ids = ",".join(f"msg:{n}" for n in range(200))
        workers = [
            subprocess.Popen([sys.executable, "-c", WORKER, redis_url, ids], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=60)[0].strip() for worker in workers]
        claimed = [set(filter(None, out.split(","))) for out in outputs]
        assert claimed[0].isdisjoint(claimed[1])
        assert claimed[0] | claimed[1] == set(ids.split(","))

    def test_a_token_cached_by_one_instance_is_seen_by_another_and_expires(self, redis_url: str) -> None:
        first, second = make_store(redis_url), make_store(redis_url)
        first.set("token:app", "ACCESS", ttl_s=0.3)
        assert second.get("token:app") == "ACCESS"
        time.sleep(0.5)
        assert second.get("token:app") is None

    def test_seen_ids_survive_a_new_client_like_a_restarted_process(self, redis_url: str) -> None:
        assert first_time(make_store(redis_url), "kf", "msgid-restart") is True
        assert first_time(make_store(redis_url), "kf", "msgid-restart") is False

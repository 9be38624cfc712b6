"""The scale set-up on loopback, every part a real process: PostgreSQL (the bank, inbox, outbox and Rasa's SQL
tracker store in a database of its own), Redis (Rasa's RedisLockStore and WeCom's token cache), the fake WeCom
API, one action server per Rasa instance, the sender, the web app, N Rasa instances and the nginx edge proxy
balancing the WeCom callbacks over them. Used by tests/scale (two instances) and bench/bench_scale.py (one and
two, for the load table).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from scripts.edge import EdgeProxy, edge_proxy
from scripts.services import Service, free_port, rasa_server
from tests.faults.stack import AES_KEY, CREDENTIALS, TIMINGS, TODAY, TOKEN, RedisServer
from tests.postgres import PostgresServer
from tests.servers import LOGS, RASA_READY_TIMEOUT, ROOT, start_action_server, start_sender, start_web
from tests.wecom_peer.fake_api import FakeWeCom
from tests.wecom_peer.simulator import CallbackSimulator


@dataclass
class ScaleStack:
    postgres: PostgresServer
    fake: FakeWeCom
    rasa: list[Service]
    edge: EdgeProxy
    app: CallbackSimulator
    services: dict[str, Service] = field(default_factory=dict)  # every process, by role (memory per process)

    def inbox(self) -> dict[str, int]:
        """Messages per inbox state (for failure messages)."""
        from wecom.inbox import Inbox

        return Inbox.shared(self.postgres.url).counts()

    def texts_to(self, user: str) -> list[str]:
        return [str(b["text"]["content"]) if b.get("msgtype") == "text" else f"[{b.get('msgtype')}]"
                for b in self.fake.sent("message/send", to=user)]


def tracker_url(postgres: PostgresServer) -> str:
    """The tracker store's database (its own, beside the bank's), as Rasa's SQLTrackerStore takes it."""
    engine = create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE tracker"))
    engine.dispose()
    return f"postgresql://bank@/tracker?host={postgres.base}&port={postgres.port}"


def create_tracker_table(url: str) -> None:
    """Rasa's own SQLTrackerStore creates its table (in the Rasa environment)."""
    code = ("from rasa.core.tracker_store import SQLTrackerStore; "
            f"SQLTrackerStore(domain=None, dialect='postgresql', host={url!r})")
    subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), "-c", code], cwd=ROOT, check=True,
                   capture_output=True, timeout=180)


def endpoints(path: Path, action_url: str, tracker: str, redis_port: int) -> Path:
    """Rasa's endpoints: its action server, the SQL tracker store on PostgreSQL, the Redis lock store."""
    path.write_text("\n".join([
        "action_endpoint:", f'  url: "{action_url}/webhook"', "  headers:",
        "    Authorization: Bearer ${ACTION_SERVER_TOKEN}",
        "tracker_store:", "  type: SQL", "  dialect: postgresql", f'  url: "{tracker}"',
        "lock_store:", "  type: redis", "  url: 127.0.0.1", f"  port: {redis_port}", "  db: 1",
        "  key_prefix: scale",
    ]) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def scale_stack(work: Path, instances: int = 2) -> Iterator[ScaleStack]:
    postgres = PostgresServer()
    started: list[Service] = []
    redis = fake = None
    try:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bank", "demo", "--seed", "7", "--today",
                        TODAY.isoformat()], cwd=ROOT, env={**os.environ, "DATABASE_URL": postgres.url},
                       check=True, stdout=subprocess.DEVNULL)
        tracker = tracker_url(postgres)
        redis = RedisServer(work)
        fake = FakeWeCom(corp_id="wwscalecorp").start()
        env = {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "WECOM_CORP_ID": fake.corp_id,
               "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret", "WECOM_TOKEN": TOKEN,
               "WECOM_AES_KEY": AES_KEY, "WECOM_KF_SECRET": "kf-secret", "WECOM_API_BASE": fake.api_base,
               "WECOM_KF_OPEN_KFID": "wkSCALEKF1", "WECOM_STATE_DIR": str(work / "state"), **TIMINGS,
               # A killed instance's conversation lock (RedisLockStore) frees after this, not Rasa's 60 s:
               # a turn here takes well under a second.
               "TICKET_LOCK_LIFETIME": "10"}
        actions = [start_action_server(env=env) for _ in range(instances)]
        started += actions
        sender = start_sender(env=env, name="scale-sender")
        started.append(sender)
        credentials = work / "credentials.yml"
        credentials.write_text(CREDENTIALS, encoding="utf-8")
        create_tracker_table(tracker)  # once, so that the instances starting together do not race to create it
        rasa = []
        for i, action in enumerate(actions):
            port = free_port()
            path = endpoints(work / f"rasa-{i}.yml", action.url, tracker, redis.port)
            rasa.append(rasa_server(port, path, credentials, env=env, log_path=LOGS / f"scale-rasa-{port}.log").start())
        started += rasa
        for instance in rasa:
            instance.wait_ready(RASA_READY_TIMEOUT)
        web = start_web(env={"DATABASE_URL": postgres.url, "RASA_URL": rasa[0].url})
        started.append(web)
        edge = edge_proxy([r.url for r in rasa], web.url, work / "edge")
        edge.start().wait_ready(30.0)
        started.append(edge)
        app = CallbackSimulator(edge.url + "/webhooks/wecom/", TOKEN, AES_KEY, fake.corp_id, retry_delay_s=2.0,
                                attempts=4)
        roles = {f"rasa-{i + 1}": r for i, r in enumerate(rasa)} | {f"actions-{i + 1}": a for i, a in enumerate(actions)}
        yield ScaleStack(postgres, fake, rasa, edge, app, {**roles, "sender": sender, "web": web, "edge": edge})
    finally:
        for service in reversed(started):
            with contextlib.suppress(Exception):
                service.stop()
        if fake is not None:
            fake.stop()
        if redis is not None:
            redis.stop()
        postgres.remove()


def main() -> None:
    """`make scale`: start the whole set-up (two Rasa instances unless SCALE_INSTANCES says otherwise) and keep it
    running until Ctrl-C, printing where each part listens."""
    import tempfile
    import time

    instances = int(os.environ.get("SCALE_INSTANCES", "2"))
    with tempfile.TemporaryDirectory(prefix="scale-") as work, scale_stack(Path(work), instances) as stack:
        print(f"edge proxy (WeCom callbacks at /webhooks/wecom/): {stack.edge.url}")
        for role, service in stack.services.items():
            print(f"  {role:<10} {service.url}")
        print(f"fake WeCom API: {stack.fake.api_base}; bank, inbox, outbox and tracker on PostgreSQL "
              f"({stack.postgres.base}); Ctrl-C stops everything")
        try:
            while all(s.process is not None and s.process.poll() is None for s in stack.services.values()):
                time.sleep(1.0)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

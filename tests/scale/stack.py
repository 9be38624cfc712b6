"""The scale set-up on loopback, every part a real process: PostgreSQL (the bank, inbox, outbox and Rasa's SQL
tracker store in a database of its own), Redis (Rasa's RedisLockStore and WeCom's token cache), the fake WeCom
API, and the services as a host runs them — supervisord with deploy/supervisord's role files (two Rasa
instances, an action server for each, the sender, the scheduler, the web app; tests/scale/supervised.py) — with
the nginx edge proxy balancing the WeCom callbacks over the instances. Used by tests/scale (two instances) and
bench/bench_scale.py (one and two, for the load table).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from scripts.edge import EdgeProxy, edge_proxy
from scripts.services import INTERNAL_SECRETS, Service, rasa_has_model
from services.settings import Settings
from tests.faults.stack import AES_KEY, TIMINGS, TODAY, TOKEN, RedisServer
from tests.postgres import PostgresServer
from tests.scale.supervised import VAR, Program, Supervisor
from tests.servers import RASA_READY_TIMEOUT, ROOT
from tests.wecom_peer.fake_api import FakeWeCom
from tests.wecom_peer.simulator import CallbackSimulator


@dataclass
class ScaleStack:
    postgres: PostgresServer
    fake: FakeWeCom
    rasa: list[Program]
    edge: EdgeProxy
    app: CallbackSimulator
    services: dict[str, Program | Service] = field(default_factory=dict)  # every process, by role (memory)

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


SCHEDULER_JOBS = [name.removesuffix("_enabled").upper() for name in Settings.model_fields if name.endswith("_enabled")]
"""Every job's switch (services/settings.py: BRIEFING_ENABLED…)."""


def programs(supervisor: Supervisor, token: str) -> dict[str, Program]:
    """The layout's programs by role, as the bench reports them: two Rasa instances (rasa.conf), an action
    server for each (actions.conf), the sender, the scheduler and the web app (app.conf)."""
    logs = VAR / "log"
    status = f"/status?token={token}"
    found = {f"rasa-{i}": Program(supervisor, f"rasa-{i}", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}{status}",
                                  logs / f"rasa-{i}.log", rasa_has_model)
             for i, port in ((1, 5005), (2, 5006))}
    for i, port in ((1, 5055), (2, 5056)):
        found[f"actions-{i}"] = Program(supervisor, f"actions:actions-{port}", f"http://127.0.0.1:{port}",
                                        f"http://127.0.0.1:{port}/health", logs / f"actions-{port}.log")
    for name in ("sender", "scheduler"):
        found[name] = Program(supervisor, name, "", "", logs / f"{name}.log")
    found["web"] = Program(supervisor, "web", "http://127.0.0.1:8000", "http://127.0.0.1:8000/health",
                           logs / "web.log")
    return found


@contextlib.contextmanager
def scale_stack(work: Path, instances: int = 2) -> Iterator[ScaleStack]:
    """The whole set-up; `instances` 1 stops the second Rasa instance and its action server (rasa.conf has two)."""
    if instances not in (1, 2):
        raise ValueError("instances: 1 or 2 (deploy/supervisord/rasa.conf runs two Rasa instances)")
    postgres = PostgresServer()
    redis = fake = supervisor = None
    started: list[Service] = []
    try:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bank", "demo", "--seed", "7", "--today",
                        TODAY.isoformat()], cwd=ROOT, env={**os.environ, "DATABASE_URL": postgres.url},
                       check=True, stdout=subprocess.DEVNULL)
        tracker = tracker_url(postgres)
        create_tracker_table(tracker)  # once, so that the instances starting together do not race to create it
        redis = RedisServer(work)
        fake = FakeWeCom(corp_id="wwscalecorp").start()
        env = {**INTERNAL_SECRETS, "WEALTH_USER": getpass.getuser(),
               "DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "WECOM_CORP_ID": fake.corp_id,
               "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret", "WECOM_TOKEN": TOKEN,
               "WECOM_AES_KEY": AES_KEY, "WECOM_KF_SECRET": "kf-secret", "WECOM_API_BASE": fake.api_base,
               "WECOM_KF_OPEN_KFID": "wkSCALEKF1", "WECOM_STATE_DIR": str(work / "state"), **TIMINGS,
               # deploy/supervisord/endpoints.yml: Rasa's tracker store and lock store from the environment
               "TRACKER_DB_HOST": str(postgres.base), "TRACKER_DB_PORT": str(postgres.port),
               "TRACKER_DB_NAME": "tracker", "TRACKER_DB_USER": "bank", "TRACKER_DB_PASSWORD": "",
               "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis.port), "REDIS_PASSWORD": "",
               # A killed instance's conversation lock (RedisLockStore) frees after this, not Rasa's 60 s:
               # a turn here takes well under a second.
               "TICKET_LOCK_LIFETIME": "10",
               # The scheduler runs (the layout has it) without its jobs: caught up at start, they would send
               # hundreds of messages (rewards, statements) while the load is measured.
               **{f"{job}_ENABLED": "false" for job in SCHEDULER_JOBS}}
        supervisor = Supervisor(env).start()
        roles = programs(supervisor, INTERNAL_SECRETS["RASA_AUTH_TOKEN"])
        if instances == 1:
            for role in ("rasa-2", "actions-2"):
                roles.pop(role).stop()
        for program in roles.values():
            program.wait_ready(RASA_READY_TIMEOUT)
        rasa = [roles[f"rasa-{i + 1}"] for i in range(instances)]
        edge = edge_proxy([r.url for r in rasa], roles["web"].url, work / "edge")
        edge.start().wait_ready(30.0)
        started.append(edge)
        app = CallbackSimulator(edge.url + "/webhooks/wecom/", TOKEN, AES_KEY, fake.corp_id, retry_delay_s=2.0,
                                attempts=4)
        yield ScaleStack(postgres, fake, rasa, edge, app, {**roles, "edge": edge})
    finally:
        for service in reversed(started):
            with contextlib.suppress(Exception):
                service.stop()
        if supervisor is not None:
            supervisor.stop()
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

"""The production profile started for real: PostgreSQL, the action server, Rasa (with the WeCom channels) and the
web app on loopback, behind the nginx edge proxy, with WeCom played by the fake API. One stack per test run.

Import the fixture in a test module: `from tests.security.stack import production  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bank.demo import build
from scripts.edge import EdgeProxy, edge_proxy
from scripts.services import INTERNAL_SECRETS, ROOT
from tests.postgres import postgres_server
from tests.servers import Service, start_action_server, start_rasa, start_sender, start_web
from tests.wecom_peer.fake_api import FakeWeCom
from tests.wecom_peer.simulator import CallbackSimulator

CORP_ID = "wwsecuritycorp"
WECOM_TOKEN = "securitytoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SESSION_SECRET = "production-session-secret-" + "x" * 30
PUBLIC_BASE_URL = "https://wealth.example.cn"


@dataclass
class Stack:
    """The running production profile: the proxy is the only door a test should use, unless it means not to."""

    proxy: EdgeProxy
    rasa: Service
    actions: Service
    web: Service
    fake: FakeWeCom
    database_url: str
    app: CallbackSimulator
    """Signed and encrypted WeCom app callbacks, posted through the proxy."""


def production_env(fake: FakeWeCom, database_url: str, knowledge_dir: Path, state_dir: Path) -> dict[str, str]:
    """Every setting the production profile demands, none of them a demo default."""
    return {
        "APP_ENV": "production", "DEMO_LOGIN": "false", "SESSION_SECRET": SESSION_SECRET,
        "DATABASE_URL": database_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL, **INTERNAL_SECRETS,
        "KNOWLEDGE_INDEX_DIR": str(knowledge_dir),
        "WECOM_CORP_ID": fake.corp_id, "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "app-secret",
        "WECOM_TOKEN": WECOM_TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_KF_SECRET": "kf-secret",
        "WECOM_API_BASE": fake.api_base, "WECOM_STATE_DIR": str(state_dir),
    }


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory, knowledge_dir: Path) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("production")
    fake = FakeWeCom(corp_id=CORP_ID).start()
    started: list[Service] = []
    try:
        with postgres_server() as database_url:
            build(database_url, seed=7, progress=False)  # the bank's records; the profile itself never generates
            env = production_env(fake, database_url, knowledge_dir, work / "wecom-state")
            actions = start_action_server(env=env)
            started.append(actions)
            started.append(start_sender(env=env, name="production-sender"))  # delivers the outbox
            rasa = start_rasa(credentials=ROOT / "deploy" / "credentials.production.yml", action_url=actions.url,
                              workdir=work, env=env)
            started.append(rasa)
            web = start_web(env=env)
            started.append(web)
            proxy = edge_proxy(rasa.url, web.url, work / "edge")
            proxy.start().wait_ready(30.0)
            started.append(proxy)
            yield Stack(proxy=proxy, rasa=rasa, actions=actions, web=web, fake=fake, database_url=database_url,
                        app=CallbackSimulator(proxy.url + "/webhooks/wecom/", WECOM_TOKEN, AES_KEY, CORP_ID))
    finally:
        for service in reversed(started):
            service.stop()
        fake.stop()

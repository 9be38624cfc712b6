"""Web test fixtures: a stub of Rasa's web chat channel (records what it receives, checks the signature) and the
real app under uvicorn."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.bank_files import copy_bank
from tests.servers import Service, start_web
from tests.services.push_cast import Cast, prepare
from web.routers.chat import CHANNEL_PATH, SIGNATURE_HEADER, sign

SESSION_SECRET = "test-secret-for-web-tests"
WEB_CHANNEL_SECRET = "test-web-channel-secret-for-web-tests"
RICH_REPLY: list[dict[str, Any]] = [
    {"text": "请选择您想做的事情，详情见 https://example.com/help"},
    {"text": "常用功能：", "buttons": [{"title": "财富体检", "payload": "/checkup"},
                                      {"title": "风险测评", "payload": "/risk_assessment"}]},
    {"image": "/static/logo.svg"},
    {"custom": {"type": "card", "title": "您的财富体检建议书", "description": "三笔钱配置建议已生成",
                "url": "https://example.com/p/abc123", "button_text": "查看建议书"}},
]


@dataclass
class StubRasa:
    """A stand-in for Rasa's web chat channel: answers `RICH_REPLY` (500 for the message "boom"), 401 unless the
    request is signed with WEB_CHANNEL_SECRET for its sender and message within the last minute (the real check,
    against the real channel, is tests/rasa_env/test_web_channel.py)."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)  # the X-Request-ID of each message, in order


def signed(header: str, body: dict[str, Any]) -> bool:
    """Whether `header` signs the body's sender and message with WEB_CHANNEL_SECRET, made within the last minute."""
    timestamp = header.removeprefix("t=").split(",")[0]
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 60:
        return False
    return header == sign(WEB_CHANNEL_SECRET, body.get("sender", ""), int(timestamp), body.get("message", ""))


@pytest.fixture(scope="session")
def stub_rasa() -> Iterator[StubRasa]:
    stub = StubRasa(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            stub.received.append({"path": self.path, **body})
            stub.request_ids.append(self.headers.get("X-Request-ID", ""))
            if self.path != CHANNEL_PATH or not signed(self.headers.get(SIGNATURE_HEADER, ""), body):
                self.send_response(404 if self.path != CHANNEL_PATH else 401)
                self.end_headers()
                return
            if body.get("message") == "boom":
                self.send_response(500)
                self.end_headers()
                return
            answer = [{"recipient_id": body["sender"], **m} for m in RICH_REPLY]
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def web_stub(demo_db_url: str, stub_rasa: StubRasa) -> Iterator[Service]:
    """The real web app on the session's demo bank, talking to the stub Rasa."""
    service = start_web(env={"DATABASE_URL": demo_db_url, "RASA_URL": stub_rasa.url, "SESSION_SECRET": SESSION_SECRET,
                             "WEB_CHANNEL_SECRET": WEB_CHANNEL_SECRET})
    yield service
    service.stop()


@pytest.fixture
def client(web_stub: Service) -> Iterator[httpx.Client]:
    """A fresh cookie jar against the web app (no identity yet)."""
    with httpx.Client(base_url=web_stub.url, timeout=30.0) as http:
        yield http


def signed_in(http: httpx.Client, sender_id: str) -> httpx.Client:
    answer = http.post("/api/session", json={"sender_id": sender_id})
    assert answer.status_code == 200, answer.text
    return http


@pytest.fixture(scope="module")
def bank_url(demo_template_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo bank for the test module that writes to it (pushes, sign-in links)."""
    return copy_bank(demo_template_url, tmp_path_factory.mktemp("webbank") / "bank.db")


@pytest.fixture(scope="module")
def cast(bank_url: str) -> Cast:
    """The advisor and clients of the push tests (tests/services/push_cast.py), in that copy."""
    return prepare(bank_url)

"""The simulator and the store: retries until 200, de-duplication keys, durable cursors."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.wecom_peer.simulator import CallbackSimulator
from wecom.callbacks import dedup_key, first_time
from wecom.crypto import CallbackCrypto
from wecom.store import CursorFile, MemoryStore

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


def test_simulator_retries_until_200_and_signs_verifiably() -> None:
    statuses = [500, 200]
    seen: list[dict[str, str]] = []
    crypto = CallbackCrypto("tok", AES_KEY, "wwcorp")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            from urllib.parse import parse_qsl, urlsplit

            query = dict(parse_qsl(urlsplit(self.path).query))
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(crypto.decrypt_callback(query["msg_signature"], query["timestamp"], query["nonce"], body))
            self.send_response(statuses.pop(0))
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sim = CallbackSimulator(f"http://127.0.0.1:{server.server_address[1]}/", "tok", AES_KEY, "wwcorp")
        attempts = sim.deliver(sim.text_xml("zhangsan", "你好", msg_id="7"))
    finally:
        server.shutdown()
        server.server_close()
    assert [a.status for a in attempts] == [500, 200]
    assert [f["MsgId"] for f in seen] == ["7", "7"] and seen[0]["Content"] == "你好"


def test_retries_share_one_dedup_key() -> None:
    store = MemoryStore()
    message = {"MsgId": "1", "FromUserName": "u"}
    event = {"MsgType": "event", "FromUserName": "u", "CreateTime": "5", "Event": "template_card_event"}
    assert first_time(store, "app", dedup_key(message)) and not first_time(store, "app", dedup_key(message))
    assert first_time(store, "app", dedup_key(event)) and not first_time(store, "app", dedup_key(dict(event)))
    assert first_time(store, "app", dedup_key({**event, "CreateTime": "6"}))


def test_cursor_survives_a_new_instance(tmp_path: Path) -> None:
    CursorFile(tmp_path / "c.json").put("kf1", "abc")
    CursorFile(tmp_path / "c.json").put("kf2", "x")
    again = CursorFile(tmp_path / "c.json")
    assert again.get("kf1") == "abc" and again.get("kf2") == "x" and again.get("kf3") == ""

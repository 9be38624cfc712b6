"""A fake WeCom API on loopback (stdlib threading HTTP server): gettoken with expiry, message/send, appchat,
media/upload, kf/sync_msg, kf/send_msg, kf/send_msg_on_event, kf/service_state/get (settable per client),
externalcontact/add_msg_template (with a fail_list of clients marked as not the sender's contacts),
auth/getuserinfo (OAuth codes registered by the test, single use). It records what it receives and can inject
42001, 45009 and 5xx."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4c50000000049454e44ae426082")


@dataclass
class Received:
    """One recorded call."""

    path: str
    body: dict[str, Any]
    at: float


class FakeWeCom:
    """Start with `.start()`, point WECOM_API_BASE at `.api_base`, read `.received`, stop with `.stop()`."""

    def __init__(self, corp_id: str = "wwfakecorp", secrets: tuple[str, ...] = ("app-secret", "kf-secret"),
                 token_ttl_s: int = 7200) -> None:
        self.corp_id, self.secrets, self.token_ttl_s = corp_id, set(secrets), token_ttl_s
        self.tokens: dict[str, float] = {}
        self.token_fetches = 0
        self.received: list[Received] = []
        self.faults: dict[str, list[int]] = {}
        self.kf_messages: list[dict[str, Any]] = []
        self.oauth_codes: dict[str, dict[str, str]] = {}
        self.service_states: dict[str, int] = {}
        self.not_contacts: set[tuple[str, str]] = set()
        self.mass_by_id: dict[str, tuple[str, list[str]]] = {}
        self.mass_status: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_base(self) -> str:
        return self.url + "/cgi-bin/"

    def start(self) -> FakeWeCom:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- control ---------------------------------------------------------------------------------------
    def inject(self, path: str, *codes: int) -> None:
        """Fail the next calls to `path` that carry a valid token with these codes (an errcode, or an HTTP
        status when ≥ 500 and < 600)."""
        with self.lock:
            self.faults.setdefault(path, []).extend(codes)

    def expire_tokens(self) -> None:
        """Every issued token becomes invalid: the next calls get 42001."""
        with self.lock:
            self.tokens.clear()

    def add_kf_message(self, open_kfid: str, external_userid: str, content: str, menu_id: str = "",
                       origin: int = 3) -> str:
        """Queue a customer message for kf/sync_msg; returns its msgid."""
        msgid = uuid.uuid4().hex
        text: dict[str, Any] = {"content": content, **({"menu_id": menu_id} if menu_id else {})}
        with self.lock:
            self.kf_messages.append({"msgid": msgid, "open_kfid": open_kfid, "external_userid": external_userid,
                                     "send_time": int(time.time()), "origin": origin, "msgtype": "text",
                                     "text": text})
        return msgid

    def add_oauth_code(self, userid: str | None = None, openid: str | None = None, code: str | None = None) -> str:
        """Register a sign-in code WeCom would hand the browser: `auth/getuserinfo` answers it once with the
        member's `userid` (or a non-member's `openid`), then 40029 like any unknown code. Returns the code."""
        code = code or "CODE" + uuid.uuid4().hex
        who = {"userid": userid} if userid is not None else {"openid": openid or "o" + uuid.uuid4().hex[:16]}
        with self.lock:
            self.oauth_codes[code] = who
        return code

    def set_service_state(self, external_userid: str, state: int) -> None:
        """What kf/service_state/get answers for this client (default 1, 由智能助手接待; 3 is a person)."""
        with self.lock:
            self.service_states[external_userid] = state

    def not_a_contact(self, external_userid: str, sender: str = "*") -> None:
        """add_msg_template puts this client in `fail_list` when sent by `sender` ("*": by anyone)."""
        with self.lock:
            self.not_contacts.add((sender, external_userid))

    def mass_result(self, msgid: str, external_userid: str, status: int) -> None:
        """What get_groupmsg_send_result says of one client of a mass send (0 unsent, 1 sent, 2 not a friend,
        3 already had a mass send); every client is 0 until set."""
        with self.lock:
            self.mass_status[(msgid, external_userid)] = status

    def mass_tasks(self, sender: str | None = None) -> list[dict[str, Any]]:
        """Bodies received at externalcontact/add_msg_template (optionally only those from `sender`)."""
        return [b for b in self.sent("externalcontact/add_msg_template") if sender is None or b.get("sender") == sender]

    def sent(self, path: str = "message/send", to: str | None = None) -> list[dict[str, Any]]:
        """Bodies received at `path` (optionally only those to user `to`)."""
        with self.lock:
            bodies = [r.body for r in self.received if r.path == path]
        return [b for b in bodies if to is None or b.get("touser") == to]

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.faults.clear()

    # --- protocol --------------------------------------------------------------------------------------
    def _answer(self, path: str, query: dict[str, str], body: bytes, content_type: str) -> tuple[int, Any]:
        if path == "gettoken":
            if query.get("corpid") != self.corp_id or query.get("corpsecret") not in self.secrets:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            token = uuid.uuid4().hex
            with self.lock:
                self.tokens[token] = time.time() + self.token_ttl_s
                self.token_fetches += 1
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl_s}
        with self.lock:  # a fault is spent only by a call whose token is valid
            expiry = self.tokens.get(query.get("access_token", ""))
            if expiry is None or expiry < time.time():
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            codes = self.faults.get(path)
            fault = codes.pop(0) if codes else None
        if fault is not None:
            return (fault, {"errcode": -1}) if 500 <= fault < 600 else (200, {"errcode": fault, "errmsg": "fault"})
        if path == "media/upload":
            ok = b'name="media"' in body and content_type.startswith("multipart/form-data")
            self._record(path, {"type": query.get("type", ""), "bytes": len(body)})
            return 200, ({"errcode": 0, "type": "image", "media_id": "MEDIA" + uuid.uuid4().hex[:8],
                          "created_at": str(int(time.time()))} if ok else {"errcode": 41001, "errmsg": "no media"})
        if path == "auth/getuserinfo":
            code = query.get("code", "")
            self._record(path, {"code": code})
            with self.lock:
                who = self.oauth_codes.pop(code, None)
            if who is None:
                return 200, {"errcode": 40029, "errmsg": "invalid code"}
            return 200, {"errcode": 0, "errmsg": "ok", **who}
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 200, {"errcode": 47001, "errmsg": "data format error"}
        self._record(path, payload)
        if path == "message/send":
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": uuid.uuid4().hex}
        if path == "appchat/send":
            if payload.get("msgtype") == "template_card":
                return 200, {"errcode": 40008, "errmsg": "invalid message type"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "kf/send_msg":
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": uuid.uuid4().hex}
        if path == "kf/send_msg_on_event":
            ok = bool(payload.get("code"))
            return 200, ({"errcode": 0, "errmsg": "ok", "msgid": uuid.uuid4().hex} if ok
                         else {"errcode": 40058, "errmsg": "invalid code"})
        if path == "kf/service_state/get":
            with self.lock:
                state = self.service_states.get(str(payload.get("external_userid")), 1)
            return 200, {"errcode": 0, "errmsg": "ok", "service_state": state, "servicer_userid": ""}
        if path == "externalcontact/add_msg_template":
            return 200, self._mass(payload)
        if path == "externalcontact/get_groupmsg_send_result":
            self._record(path, payload)
            with self.lock:
                sender, users = self.mass_by_id.get(str(payload.get("msgid")), ("", []))
                listed = [{"external_userid": u, "userid": sender, "status": self.mass_status.get((payload["msgid"], u), 0)}
                          for u in users if payload.get("userid") in (sender, None)]
            return 200, {"errcode": 0, "errmsg": "ok", "send_list": listed}
        if path == "kf/sync_msg":
            return 200, self._sync(payload)
        if path == "message/update_template_card":
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"errcode": 404, "errmsg": "unknown api"}

    def _mass(self, payload: dict[str, Any]) -> dict[str, Any]:
        sender = str(payload.get("sender") or "")
        with self.lock:
            failed = [u for u in payload.get("external_userid") or []
                      if (sender, u) in self.not_contacts or ("*", u) in self.not_contacts]
        msgid = "msgGROUP" + uuid.uuid4().hex[:16]
        with self.lock:
            self.mass_by_id[msgid] = (sender, [u for u in payload.get("external_userid") or [] if u not in failed])
        return {"errcode": 0, "errmsg": "ok", "fail_list": failed, "msgid": msgid}

    def _sync(self, payload: dict[str, Any]) -> dict[str, Any]:
        start = int(payload.get("cursor") or 0)
        limit = min(int(payload.get("limit") or 1000), 1000)
        with self.lock:
            mine = [m for m in self.kf_messages if m["open_kfid"] == payload.get("open_kfid")]
        page = mine[start:start + limit]
        end = start + len(page)
        return {"errcode": 0, "errmsg": "ok", "next_cursor": str(end), "has_more": int(end < len(mine)),
                "msg_list": page}

    def _record(self, path: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.received.append(Received(path, body, time.time()))
            self.arrived.notify_all()

    def wait_sent(self, path: str, to: str, count: int, timeout_s: float = 60.0) -> float | None:
        """Block until `count` bodies reached `path` for `to`; the arrival time of the last, or None on timeout."""
        deadline = time.monotonic() + timeout_s
        with self.arrived:
            while True:
                mine = [r for r in self.received if r.path == path and r.body.get("touser") == to]
                if len(mine) >= count:
                    return mine[count - 1].at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.arrived.wait(left)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _serve(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                if parsed.path == "/image.png":
                    self._reply(200, PNG, "image/png")
                    return
                path = parsed.path.removeprefix("/cgi-bin/")
                query = dict(urllib.parse.parse_qsl(parsed.query))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._answer(path, query, body, self.headers.get("Content-Type", ""))
                self._reply(status, json.dumps(answer).encode(), "application/json")

            def _reply(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _serve
            do_POST = _serve

        return Handler

"""A WeCom callback simulator: encrypts and signs exactly as WeCom does (through wecom.crypto, which the
known-answer test pins to Tencent's sample) and retries a callback not answered 200 within 5 s, three
attempts in total."""

from __future__ import annotations

import http.client
import socket
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

from wecom.crypto import CallbackCrypto


@dataclass
class Attempt:
    """One delivery attempt: HTTP status (None when it timed out or was dropped) and seconds to answer."""

    status: int | None
    latency_s: float
    body: bytes = b""


@dataclass
class CallbackSimulator:
    """POSTs callbacks to `url` (e.g. http://127.0.0.1:5005/webhooks/wecom/)."""

    url: str
    token: str
    aes_key: str
    corp_id: str
    agent_id: int = 1000002
    timeout_s: float = 5.0
    attempts: int = 3
    retry_delay_s: float = 0.0  # WeCom waits between attempts; the fault tests space them like it does
    sent: int = field(default=0)

    def __post_init__(self) -> None:
        self.crypto = CallbackCrypto(self.token, self.aes_key, self.corp_id, max_clock_skew_s=None)
        parts = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"

    # --- message shapes --------------------------------------------------------------------------------
    def text_xml(self, user: str, content: str, msg_id: str | None = None, create_time: int | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
                f"</FromUserName><CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
                f"</MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id or uuid.uuid4().int % 10**19}"
                f"</MsgId><AgentID>{self.agent_id}</AgentID></xml>")

    def event_xml(self, user: str, event: str, extra: str = "", create_time: int | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
                f"</FromUserName><CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]>"
                f"</MsgType><Event><![CDATA[{event}]]></Event>{extra}<AgentID>{self.agent_id}</AgentID></xml>")

    def kf_event_xml(self, open_kfid: str, token: str = "") -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName><CreateTime>{int(time.time())}"
                f"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
                f"<Token><![CDATA[{token or uuid.uuid4().hex}]]></Token><OpenKfId><![CDATA[{open_kfid}]]>"
                f"</OpenKfId></xml>")

    # --- delivery --------------------------------------------------------------------------------------
    def signed(self, plaintext: str, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        return self.crypto.encrypt_callback(plaintext, str(timestamp or int(time.time())))

    def deliver(self, plaintext: str, drop_first: bool = False) -> list[Attempt]:
        """Deliver like WeCom: retry until a 200 within `timeout_s`, at most `attempts` times.

        `drop_first` sends the first attempt and hangs up without waiting (WeCom giving up on a slow answer).
        """
        body, query = self.signed(plaintext)
        results: list[Attempt] = []
        for number in range(self.attempts):
            if number == 0 and drop_first:
                self.post_raw(query, body, hang_up=True)
                results.append(Attempt(None, 0.0))
                continue
            if number and self.retry_delay_s:
                time.sleep(self.retry_delay_s)
            attempt = self.post_raw(query, body)
            results.append(attempt)
            if attempt.status == 200:
                break
        return results

    def verify_url(self, echo: str = "echo-1616140317555161061") -> Attempt:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        echostr = self.crypto.encrypt_echostr(echo)
        from wecom.crypto import signature

        query = {"msg_signature": signature(self.token, timestamp, nonce, echostr), "timestamp": timestamp,
                 "nonce": nonce, "echostr": echostr}
        return self.request("GET", query, b"")

    def post_raw(self, query: dict[str, str], body: bytes, hang_up: bool = False,
                 headers: dict[str, str] | None = None) -> Attempt:
        """POST exactly these bytes (bad-input tests use it directly)."""
        self.sent += 1
        if hang_up:
            with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as sock:
                head = (f"POST {self.path}?{urllib.parse.urlencode(query)} HTTP/1.1\r\nHost: {self.host}\r\n"
                        f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                sock.sendall(head + body)
                time.sleep(0.05)
            return Attempt(None, 0.0)
        return self.request("POST", query, body, headers)

    def request(self, method: str, query: dict[str, str], body: bytes,
                headers: dict[str, str] | None = None) -> Attempt:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            connection.request(method, f"{self.path}?{urllib.parse.urlencode(query)}", body=body or None,
                               headers={"Content-Type": "text/xml", **(headers or {})})
            answer = connection.getresponse()
            data = answer.read()
            return Attempt(answer.status, time.perf_counter() - started, data)
        except (TimeoutError, OSError):
            return Attempt(None, time.perf_counter() - started)
        finally:
            connection.close()

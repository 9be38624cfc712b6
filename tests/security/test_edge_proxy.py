"""The edge proxy (deploy/nginx/edge.conf.template through scripts/edge.py), run for real by Debian's nginx on a
loopback port in front of two echo servers standing in for Rasa and the web app: what may pass reaches the
right upstream intact, everything else gets 404 and reaches nobody, bodies are bounded, pages carry the
security headers, and link tokens stay out of the access log."""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.client
import ipaddress
import json
import re
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from scripts import edge
from scripts.edge import EdgeConfigError, EdgeProxy, EdgeSettings

WEB_TEMPLATES = edge.WEB_TEMPLATES
WEBHOOK_LIMIT = 64 * 1024
WEB_LIMIT = 1024 * 1024


class Upstream:
    """An HTTP server in a thread that answers every request with JSON describing it (method, path, headers,
    body length and digest) and remembers each request. Header X-Test-Delay: seconds to wait first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[dict[str, Any]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"upstream": upstream.name, "method": self.command, "path": self.path,
                          "headers": {k.lower(): v for k, v in self.headers.items()},
                          "body_length": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
                upstream.seen.append(record)
                time.sleep(float(self.headers.get("X-Test-Delay") or 0))
                payload = json.dumps(record).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-Powered-By", "echo/1.0")                   # the edge drops it
                self.send_header("Content-Security-Policy", "default-src *")   # … and puts its own policy
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a proxy that gave up on a slow answer closed the socket: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name=f"upstream-{name}", daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


def send(base_url: str, method: str, path: str, body: bytes | Iterable[bytes] | None = None,
         headers: dict[str, str] | None = None, context: ssl.SSLContext | None = None) -> Answer:
    """One request with the path sent exactly as given (no normalisation); an iterable body goes chunked."""
    parts = urlsplit(base_url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        chunked = body is not None and not isinstance(body, bytes)
        connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, Upstream]]:
    servers = {"rasa": Upstream("rasa"), "web": Upstream("web")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def proxy(edge_proxy: Any, upstreams: dict[str, Upstream]) -> Iterator[EdgeProxy]:
    """One proxy for the module; afterwards its error log must hold nothing worse than refused requests (a
    worker that tried to write a temporary file it may not write logs [crit] and answers 500)."""
    proxy = edge_proxy(upstreams["rasa"].url, upstreams["web"].url)
    yield proxy
    assert proxy.log_path is not None
    serious = [line for line in proxy.log_path.read_text(encoding="utf-8").splitlines()
               if re.search(r"\[(crit|alert|emerg)\]", line)]
    assert serious == [], "\n".join(serious)


@pytest.fixture(autouse=True)
def forget(request: pytest.FixtureRequest) -> None:
    """Each test starts with upstreams that have seen nothing."""
    if "upstreams" in request.fixturenames:
        for server in request.getfixturevalue("upstreams").values():
            server.seen.clear()


def seen(upstreams: dict[str, Upstream]) -> list[dict[str, Any]]:
    return [record for server in upstreams.values() for record in server.seen]


XML = b"<xml><ToUserName><![CDATA[ww0123]]></ToUserName><Encrypt><![CDATA[abc==]]></Encrypt></xml>"
QUERY = "?msg_signature=5f0c&timestamp=1767225600&nonce=42&echostr=ZWNobw%3D%3D"
FORM = b"x=1"
# (method, path as sent, body, upstream that must receive it)
ALLOWED = [
    ("GET", "/webhooks/wecom/" + QUERY, None, "rasa"),
    ("POST", "/webhooks/wecom/?msg_signature=5f0c&timestamp=1767225600&nonce=42", XML, "rasa"),
    ("GET", "/webhooks/wecom_kf/" + QUERY, None, "rasa"),
    ("POST", "/webhooks/wecom_kf/?msg_signature=5f0c&timestamp=1767225600&nonce=42", XML, "rasa"),
    ("GET", "/", None, "web"),
    ("GET", "/health", None, "web"),
    ("GET", "/static/app.css", None, "web"),
    ("GET", "/proposals/Tk_abc-123", None, "web"),
    ("GET", "/proposals/Tk_abc-123/charts/allocation.png", None, "web"),
    ("GET", "/portfolios/3", None, "web"),
    ("GET", "/portfolios/3/backtest.png", None, "web"),
    ("GET", "/pushes/task-9", None, "web"),
    ("POST", "/pushes/task-9/confirm", FORM, "web"),
    ("POST", "/pushes/task-9/decline", FORM, "web"),
    ("GET", "/handoffs/Hd_token", None, "web"),
    ("GET", "/dashboard?start=2026-11-01&end=2026-11-30", None, "web"),
    ("GET", "/api/dashboard/team?start=2026-11-01&end=2026-11-30", None, "web"),
    ("GET", "/api/dashboard/me", None, "web"),
    ("POST", "/api/chat", '{"message": "你好"}'.encode(), "web"),
    ("GET", "/api/identities", None, "web"),
    ("GET", "/api/session", None, "web"),
    ("POST", "/api/session", b'{"userid": "zhangmin"}', "web"),
    ("DELETE", "/api/session", None, "web"),
    ("GET", "/auth/wecom/callback?code=CODE&state=STATE", None, "web"),
]

# Rasa's REST channel and HTTP API, the action server, the web app's API docs, near misses and path tricks.
FORBIDDEN = [
    ("POST", "/webhooks/rest/webhook", b'{"sender": "zhangmin", "message": "hi"}'),
    ("GET", "/webhooks/rest/", None),
    ("GET", "/conversations/x/tracker", None),
    ("GET", "/conversations/zhangmin/tracker?token=x", None),
    ("POST", "/conversations/x/trigger_intent", b'{"name": "confirm_push"}'),
    ("GET", "/model", None),
    ("DELETE", "/model", None),
    ("POST", "/model/parse", b'{"text": "hi"}'),
    ("GET", "/status", None),
    ("GET", "/version", None),
    ("POST", "/webhook", b'{"next_action": "action_adv_client_profile", "sender_id": "zhangmin"}'),
    ("GET", "/actions", None),
    ("GET", "/docs", None),
    ("GET", "/redoc", None),
    ("GET", "/openapi.json", None),
    ("GET", "/webhooks/wecom", None),
    ("POST", "/webhooks/wecom/webhook", XML),
    ("GET", "/webhooks/WECOM/", None),
    ("GET", "/dashboard/../model", None),
    ("GET", "/static/../docs", None),
    ("GET", "/webhooks/wecom/../rest/webhook", None),
    ("GET", "/api/%2e%2e/openapi.json", None),
    ("GET", "//conversations/x/tracker", None),
    ("GET", "/favicon.ico", None),
]


@pytest.mark.parametrize(("method", "path", "body", "target"), ALLOWED,
                         ids=[f"{m} {p.split('?')[0]}" for m, p, _, _ in ALLOWED])
def test_allowed_route_reaches_its_upstream_intact(proxy: EdgeProxy, upstreams: dict[str, Upstream],
                                                   method: str, path: str, body: bytes | None, target: str) -> None:
    answer = send(proxy.url, method, path, body, {"Content-Type": "application/octet-stream"} if body else None)

    assert answer.status == 200, answer.body
    [record] = seen(upstreams)
    assert record["upstream"] == target
    assert (record["method"], record["path"]) == (method, path)
    assert record["body_length"] == len(body or b"")
    assert record["body_sha256"] == hashlib.sha256(body or b"").hexdigest()


@pytest.mark.parametrize(("method", "path", "body"), FORBIDDEN, ids=[f"{m} {p}" for m, p, _ in FORBIDDEN])
def test_everything_else_is_404_and_reaches_nobody(proxy: EdgeProxy, upstreams: dict[str, Upstream],
                                                   method: str, path: str, body: bytes | None) -> None:
    answer = send(proxy.url, method, path, body)

    # A path that climbs above the root is refused by nginx's parser itself (400).
    assert answer.status in ((400, 404) if "%2e" in path else (404,)), answer.body
    assert seen(upstreams) == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_webhooks_take_only_get_and_post(proxy: EdgeProxy, upstreams: dict[str, Upstream], method: str) -> None:
    assert send(proxy.url, method, "/webhooks/wecom/").status == 405
    assert seen(upstreams) == []


@pytest.mark.parametrize(("path", "limit"), [("/webhooks/wecom/", WEBHOOK_LIMIT), ("/webhooks/wecom_kf/", WEBHOOK_LIMIT),
                                             ("/api/chat", WEB_LIMIT)])
def test_a_body_at_the_limit_passes_and_one_byte_more_is_413(proxy: EdgeProxy, upstreams: dict[str, Upstream],
                                                             path: str, limit: int) -> None:
    assert send(proxy.url, "POST", path, b"x" * limit).status == 200
    assert seen(upstreams)[0]["body_length"] == limit
    for server in upstreams.values():
        server.seen.clear()

    assert send(proxy.url, "POST", path, b"x" * (limit + 1)).status == 413
    assert seen(upstreams) == []


def test_a_chunked_body_over_the_limit_is_413_too(proxy: EdgeProxy, upstreams: dict[str, Upstream]) -> None:
    chunks = (b"x" * 8192 for _ in range(WEBHOOK_LIMIT // 8192 + 1))

    assert send(proxy.url, "POST", "/webhooks/wecom/", chunks).status == 413
    assert seen(upstreams) == []


@pytest.mark.parametrize("body", [XML, b"x" * WEBHOOK_LIMIT], ids=["small", "at the limit"])
def test_a_chunked_body_within_the_limit_arrives_whole(proxy: EdgeProxy, upstreams: dict[str, Upstream],
                                                       body: bytes) -> None:
    chunks = [body[:20], body[20:]]

    assert send(proxy.url, "POST", "/webhooks/wecom/", iter(chunks)).status == 200
    assert seen(upstreams)[0]["body_sha256"] == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("path", ["/", "/proposals/Tk_abc-123", "/pushes/task-9", "/no-such-page",
                                  "/webhooks/wecom/"])
def test_security_headers_on_every_answer(proxy: EdgeProxy, path: str) -> None:
    answer = send(proxy.url, "GET", path)

    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers.get_all("Content-Security-Policy") == [edge.content_security_policy()]
    assert "X-Powered-By" not in answer.headers
    assert answer.headers["Server"] == "nginx"          # no version, no upstream's Server header


def test_the_not_found_page_names_no_version(proxy: EdgeProxy) -> None:
    answer = send(proxy.url, "GET", "/model")

    assert answer.status == 404
    assert not re.search(rb"nginx/\d", answer.body)


def test_content_security_policy_is_strict_and_fits_the_pages() -> None:
    policy = dict(part.strip().split(" ", 1) for part in edge.content_security_policy().split(";"))

    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in edge.content_security_policy()
    assert "unsafe-eval" not in edge.content_security_policy()
    # push.html's inline <style> is allowed by its hash, computed as a browser does.
    style = re.search(r"<style>(.*?)</style>", (WEB_TEMPLATES / "push.html").read_text(encoding="utf-8"), re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["style-src"].split()


def test_the_pages_need_nothing_the_policy_refuses() -> None:
    """script-src 'self' and hashed styles only: the templates must keep scripts in files, no inline event
    handlers or style attributes, and no template markup inside a <style> block (its hash would not match)."""
    for path in sorted(WEB_TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I), f"{path.name}: inline <script>"
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), f"{path.name}: inline event handler"
        assert not re.search(r"\sstyle\s*=", text, re.I), f"{path.name}: style attribute"
        for block in edge.INLINE_STYLE.findall(text):
            assert "{{" not in block and "{%" not in block, f"{path.name}: template markup in <style>"


def test_upstreams_learn_the_real_client_not_what_it_claims(proxy: EdgeProxy, upstreams: dict[str, Upstream]) -> None:
    send(proxy.url, "GET", "/", headers={"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6",
                                         "X-Forwarded-Proto": "https", "Host": "wealth.example.cn"})

    headers = seen(upstreams)[0]["headers"]
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["host"] == "wealth.example.cn"


def test_every_request_gets_the_edges_own_request_id_upstream_and_in_the_access_log(
        proxy: EdgeProxy, upstreams: dict[str, Upstream]) -> None:
    claimed = "0123456789abcdef0123456789abcdef"
    send(proxy.url, "GET", "/", headers={"X-Request-ID": claimed})
    send(proxy.url, "POST", "/webhooks/wecom/", b"<xml/>")

    ids = [request["headers"].get("x-request-id", "") for request in seen(upstreams)]
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1], ids
    assert claimed not in ids  # a client cannot choose the id its request is logged under
    deadline = time.monotonic() + 5
    while not all(i in (log := proxy.access_log.read_text(encoding="utf-8")) for i in ids):
        assert time.monotonic() < deadline, f"the access log lacks the request ids {ids}:\n{log}"
        time.sleep(0.05)


TOKEN = "SECRETTOKEN123"


def test_link_tokens_and_query_strings_stay_out_of_the_access_log(proxy: EdgeProxy) -> None:
    requests = [
        ("GET", f"/proposals/{TOKEN}?from=QUERYSECRET"),
        ("GET", f"/proposals/{TOKEN}/charts/allocation.png"),
        ("GET", f"/pushes/{TOKEN}"),
        ("POST", f"/pushes/{TOKEN}/confirm"),
        ("GET", f"/handoffs/{TOKEN}"),
        ("GET", f"/auth/link/{TOKEN}"),
        ("GET", f"/auth/wecom/callback?code={TOKEN}&state=QUERYSECRET"),
        ("GET", f"/%70roposals/{TOKEN}"),
        ("GET", f"/Proposals/{TOKEN}"),
        ("GET", f"/webhooks/wecom/?msg_signature=QUERYSECRET&echostr={TOKEN}"),
    ]
    before = proxy.access_log.read_text(encoding="utf-8").count("\n")
    for method, path in requests:
        send(proxy.url, method, path, b"" if method == "POST" else None)

    deadline = time.monotonic() + 5
    while (log := proxy.access_log.read_text(encoding="utf-8")).count("\n") < before + len(requests):
        assert time.monotonic() < deadline, f"the access log did not grow by {len(requests)} lines:\n{log}"
        time.sleep(0.05)
    assert TOKEN not in log
    assert "QUERYSECRET" not in log
    assert '"GET /proposals/{token}/charts/allocation.png" 200' in log
    assert '"POST /pushes/{token}/confirm" 200' in log
    assert '"GET /auth/{masked}" 200' in log


def test_the_rendered_file_passes_nginx_own_check(tmp_path: Path) -> None:
    settings = EdgeSettings(listen="127.0.0.1:8080", rasa_upstream="127.0.0.1:5005", web_upstream="127.0.0.1:8000",
                            server_name="wealth.example.cn", user="www-data")
    config = edge.render(tmp_path, settings)

    edge.check_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    assert "@" not in re.sub(r"#.*", "", text).replace("~*^", "")   # every placeholder filled
    webhook = text[text.index("location ~ ^/webhooks/"):]
    assert "proxy_read_timeout    4s;" in webhook.split("}")[1]      # WeCom waits 5 s


def test_the_command_line_renders_checks_and_says_how_to_start(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--rasa", "http://127.0.0.1:5005", "--web", "http://127.0.0.1:8000", "--server-name", "wealth.example.cn"]

    assert edge.main(["render", str(tmp_path / "edge"), "--listen", "8080", *common]) == 0
    assert "checked with nginx -t" in capsys.readouterr().err
    assert (tmp_path / "edge" / "nginx.conf").exists()
    assert edge.main(["render", str(tmp_path / "bad"), "--listen", "8080;", *common]) == 1
    assert "listen" in capsys.readouterr().err


@pytest.mark.parametrize("change", [
    {"listen": "127.0.0.1:80; include /etc/passwd"},
    {"server_name": "a;b"},
    {"server_name": 'a"'},
    {"web_body_limit": "1m; }"},
    {"webhook_timeout": "4s\nlocation"},
    {"rasa_upstream": "127.0.0.1:5005 backup; server evil:80"},
    {"tls_certificate": "/etc/ssl/x.pem"},        # without its key
])
def test_a_malformed_setting_is_refused_before_anything_is_written(change: dict[str, str]) -> None:
    values = {"listen": "8080", "rasa_upstream": "127.0.0.1:5005", "web_upstream": "127.0.0.1:8000", **change}
    with pytest.raises(EdgeConfigError):
        EdgeSettings(**values)


@pytest.mark.parametrize("url", ["https://127.0.0.1:5005", "http://127.0.0.1", "http://127.0.0.1:5005/x",
                                 "http://127.0.0.1:5005?x=1"])
def test_upstreams_are_plain_http_origins(url: str) -> None:
    with pytest.raises(EdgeConfigError):
        edge.upstream_address(url)


def test_a_callback_rasa_does_not_answer_in_time_gets_504_before_wecom_gives_up(
        edge_proxy: Any, upstreams: dict[str, Upstream]) -> None:
    impatient = edge_proxy(upstreams["rasa"].url, upstreams["web"].url, webhook_timeout="1s")
    started = time.monotonic()

    answer = send(impatient.url, "POST", "/webhooks/wecom/", XML, {"X-Test-Delay": "3"})

    assert answer.status == 504
    assert time.monotonic() - started < 2.5
    impatient.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (cryptography comes with wechatpy[cryptography])."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "edge.pem", directory / "edge.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_with_a_certificate_the_proxy_speaks_tls_and_says_so_upstream(
        tmp_path: Path, upstreams: dict[str, Upstream]) -> None:
    cert, key = self_signed(tmp_path)
    proxy = edge.edge_proxy(upstreams["rasa"].url, upstreams["web"].url, tmp_path / "edge", worker_processes="1",
                            tls_certificate=str(cert), tls_certificate_key=str(key)).start()
    context = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = send(proxy.url, "GET", "/proposals/Tk_abc-123", context=context)
                break
            except OSError:
                assert proxy.running and time.monotonic() < deadline, "nginx did not start with TLS"
                time.sleep(0.1)
    finally:
        proxy.stop()

    assert proxy.url.startswith("https://")
    assert answer.status == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert answer.json()["headers"]["x-forwarded-proto"] == "https"

"""The edge proxy: render deploy/nginx/edge.conf.template and run Debian's nginx in front of Rasa and the web app.

Only the WeCom callbacks reach Rasa and only the web app's public pages, sign-in, API and static files reach
the web app; everything else answers 404 (deploy/nginx/README.md has the route table). Tests and production
render the same template: every path nginx writes lies inside the rendered directory (its prefix), so a
non-root user can run it, and nginx stays in the foreground as a `scripts.services.Service`.

    .venv/bin/python -m scripts.edge render /srv/wealth-edge --rasa http://127.0.0.1:5005 \\
        --web http://127.0.0.1:8000 --listen 443 --server-name wealth.example.cn \\
        --tls-certificate /etc/ssl/wealth.pem --tls-certificate-key /etc/ssl/private/wealth.key --user www-data
    .venv/bin/python -m scripts.edge run /srv/wealth-edge …   # the same, then nginx in the foreground
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scripts.services import ROOT, Service, free_port

TEMPLATE = ROOT / "deploy" / "nginx" / "edge.conf.template"
WEB_TEMPLATES = ROOT / "web" / "templates"
CONFIG_NAME = "nginx.conf"
ACCESS_LOG = Path("logs") / "access.log"      # relative to the prefix, as in the template
ERROR_LOG = Path("logs") / "error.log"        # nginx's stderr, written by Service
BUFFER_SLACK = 16 * 1024
NGINX_HINT = "nginx is not installed: run `apt-get install -y nginx` (scripts/setup_system.sh --test does it)"

PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
INLINE_STYLE = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style>", re.S | re.I)
# What each setting may look like: nothing that could end a directive or open a block (no ; { } quotes).
SIZE = re.compile(r"\d+[km]?")
DURATION = re.compile(r"\d+(?:ms|s|m)?")
LISTEN = re.compile(r"(?:(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?\d{1,5}")
SERVER_NAMES = re.compile(r"[A-Za-z0-9._*-]+(?: [A-Za-z0-9._*-]+)*")
HOST_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}")
HOST_PORTS = re.compile(rf"{HOST_PORT.pattern}(?:,{HOST_PORT.pattern})*")  # several Rasa instances
USER = re.compile(r"[a-z_][a-z0-9_-]*(?: [a-z_][a-z0-9_-]*)?")
WORKERS = re.compile(r"auto|\d{1,3}")
FILE_PATH = re.compile(r"/[^\s;{}\"'\\$]+")


class EdgeConfigError(ValueError):
    """A setting of the edge proxy is malformed, or nginx refused the rendered configuration."""


class NginxMissing(RuntimeError):
    """Debian's nginx is not installed."""


def find_nginx() -> Path:
    """The nginx binary: $EDGE_NGINX, else `nginx` on PATH, else Debian's /usr/sbin/nginx."""
    for candidate in (os.environ.get("EDGE_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise NginxMissing(NGINX_HINT)


def upstream_address(url: str) -> str:
    """'http://127.0.0.1:5005' -> '127.0.0.1:5005' (an upstream is a plain-http origin, port included)."""
    parts = urlsplit(url)
    address = parts.netloc
    if parts.scheme != "http" or parts.path not in ("", "/") or parts.query or not HOST_PORT.fullmatch(address):
        raise EdgeConfigError(f"upstream must look like http://host:port, got {url!r}")
    return address


def inline_style_hashes(templates: Path = WEB_TEMPLATES) -> list[str]:
    """CSP source expressions ('sha256-…') for each inline <style> block of the web app's templates, so that
    style-src needs no 'unsafe-inline'. The block's text is hashed exactly as Jinja outputs it."""
    hashes = []
    for path in sorted(templates.glob("*.html")):
        for block in INLINE_STYLE.findall(path.read_text(encoding="utf-8")):
            digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii")
            hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def content_security_policy(templates: Path = WEB_TEMPLATES) -> str:
    """The pages' policy: scripts, styles, images and fetches from this origin only, inline styles by hash,
    no framing, no plugins, forms post only here."""
    styles = " ".join(["'self'", *inline_style_hashes(templates)])
    return ("default-src 'none'; script-src 'self'; " f"style-src {styles}; "
            "img-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass(frozen=True)
class EdgeSettings:
    """What the template leaves open. Defaults: 64 KiB callbacks answered within 4 s (WeCom waits 5 s and
    then retries), 1 MiB web requests, plain http unless a certificate is given."""

    listen: str
    rasa_upstream: str                        # host:port, or several comma-separated (Rasa instances)
    web_upstream: str
    server_name: str = "_"
    webhook_body_limit: str = "64k"
    web_body_limit: str = "1m"
    webhook_timeout: str = "4s"
    web_timeout: str = "30s"
    worker_processes: str = "auto"
    user: str | None = None                   # e.g. "www-data" when the master runs as root
    tls_certificate: str | None = None
    tls_certificate_key: str | None = None

    def __post_init__(self) -> None:
        checks = {
            "listen": LISTEN, "rasa_upstream": HOST_PORTS, "web_upstream": HOST_PORT,
            "server_name": SERVER_NAMES, "webhook_body_limit": SIZE, "web_body_limit": SIZE,
            "webhook_timeout": DURATION, "web_timeout": DURATION, "worker_processes": WORKERS, "user": USER,
            "tls_certificate": FILE_PATH, "tls_certificate_key": FILE_PATH,
        }
        for name, pattern in checks.items():
            value = getattr(self, name)
            if value is not None and not pattern.fullmatch(str(value)):
                raise EdgeConfigError(f"edge proxy setting {name}={value!r} is malformed")
        if (self.tls_certificate is None) != (self.tls_certificate_key is None):
            raise EdgeConfigError("give both tls_certificate and tls_certificate_key, or neither")

    @property
    def tls(self) -> bool:
        return self.tls_certificate is not None


def size_bytes(size: str) -> int:
    """'64k' -> 65536, '1m' -> 1048576, '100' -> 100 (nginx's size units)."""
    return int(size.rstrip("km")) * {"k": 1024, "m": 1024 * 1024}.get(size[-1], 1)


def _tls_block(settings: EdgeSettings) -> str:
    if not settings.tls:
        return ("        # Plain http: tests on loopback, or TLS ended by a load balancer in front (then set\n"
                "        # X-Forwarded-Proto there). For TLS here, render with a certificate and key.")
    lines = [f"ssl_certificate     {settings.tls_certificate};", f"ssl_certificate_key {settings.tls_certificate_key};",
             "ssl_protocols TLSv1.2 TLSv1.3;", "ssl_prefer_server_ciphers off;",
             "ssl_session_cache shared:edge_tls:10m;", "ssl_session_timeout 1d;", "ssl_session_tickets off;"]
    return "\n".join("        " + line for line in lines)


def render(directory: Path, settings: EdgeSettings, template: Path = TEMPLATE) -> Path:
    """Write `directory`/nginx.conf from the template, with logs/ and temp/ beside it; return the file."""
    values = {
        **{name.upper(): str(value) for name, value in asdict(settings).items() if value is not None},
        "LISTEN": settings.listen + (" ssl http2" if settings.tls else ""),
        "USER": f"user {settings.user};" if settings.user else "# user: unset (a root master's workers run as nobody, a non-root master's as itself)",
        "TLS": _tls_block(settings),
        # Several Rasa instances: one server line each (a callback they cannot take goes to the next one:
        # the inbox's unique message id makes a second delivery harmless).
        "RASA_UPSTREAM": ";\n        server ".join(settings.rasa_upstream.split(",")),
        # Room beyond the limit, so that a body never fills its buffer and nginx never writes a temp file.
        "WEBHOOK_BODY_BUFFER": str(size_bytes(settings.webhook_body_limit) + BUFFER_SLACK),
        "WEB_BODY_BUFFER": str(size_bytes(settings.web_body_limit) + BUFFER_SLACK),
        "CONTENT_SECURITY_POLICY": content_security_policy(),
    }

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise EdgeConfigError(f"{template.name}: no value for placeholder {match.group(0)}")
        return values[match.group(1)]

    text = PLACEHOLDER.sub(fill, template.read_text(encoding="utf-8"))
    directory = Path(directory).resolve()
    for sub in ("logs", "temp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    config = directory / CONFIG_NAME
    config.write_text(text, encoding="utf-8")
    return config


def nginx_command(prefix: Path, nginx: Path | None = None, test: bool = False) -> list[str]:
    """nginx in the foreground with `prefix`/nginx.conf, its pid file inside the prefix, errors on stderr."""
    prefix = Path(prefix).resolve()
    command = [str(nginx or find_nginx()), "-p", f"{prefix}/", "-c", str(prefix / CONFIG_NAME), "-e", "stderr",
               "-g", "daemon off; pid nginx.pid; error_log stderr;"]
    return command + (["-t", "-q"] if test else [])


def check_config(prefix: Path) -> None:
    """Ask nginx whether the rendered configuration is valid (`nginx -t`); EdgeConfigError with its words if not."""
    result = subprocess.run(nginx_command(prefix, test=True), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise EdgeConfigError(f"nginx refused {Path(prefix) / CONFIG_NAME}:\n{result.stderr.strip()}")


@dataclass
class EdgeProxy(Service):
    """The nginx service, with the prefix that holds its configuration and logs."""

    prefix: Path = field(default_factory=Path)

    @property
    def access_log(self) -> Path:
        return self.prefix / ACCESS_LOG


def edge_proxy(rasa_url: str | list[str], web_url: str, directory: Path, port: int | None = None,
               host: str = "127.0.0.1", **options: str | None) -> EdgeProxy:
    """The edge proxy on `host`:`port` (a free loopback port by default) in front of `rasa_url` (one URL, or a
    list of Rasa instances balanced between) and `web_url`,
    rendered into `directory`; not started yet (`.start().wait_ready(10)`: ready once /health answers through
    it). `options` are further EdgeSettings fields (body limits, timeouts, TLS …)."""
    nginx = find_nginx()
    port = port or free_port()
    urls = [rasa_url] if isinstance(rasa_url, str) else rasa_url
    settings = EdgeSettings(listen=f"{host}:{port}", rasa_upstream=",".join(upstream_address(u) for u in urls),
                            web_upstream=upstream_address(web_url), **options)
    prefix = render(directory, settings).parent
    scheme = "https" if settings.tls else "http"
    url = f"{scheme}://{host}:{port}"
    return EdgeProxy(name="edge proxy", command=nginx_command(prefix, nginx), ready_url=f"{url}/health", url=url,
                     log_path=prefix / ERROR_LOG, prefix=prefix)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.edge", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["render", "run"], help="render the configuration; run also starts nginx")
    parser.add_argument("directory", type=Path, help="the prefix: nginx.conf, logs/ and temp/ go here")
    parser.add_argument("--rasa", required=True, action="append",
                        help="Rasa's URL, e.g. http://127.0.0.1:5005 (repeat it for several instances)")
    parser.add_argument("--web", required=True, help="the web app's URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--listen", required=True, help="address:port or port, e.g. 443")
    defaults = EdgeSettings(listen="1", rasa_upstream="a:1", web_upstream="a:1")
    for name in ("server_name", "webhook_body_limit", "web_body_limit", "webhook_timeout", "web_timeout",
                 "worker_processes", "user", "tls_certificate", "tls_certificate_key"):
        parser.add_argument("--" + name.replace("_", "-"), dest=name, default=getattr(defaults, name))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options = {name: value for name, value in vars(args).items()
               if name not in ("action", "directory", "rasa", "web", "listen")}
    try:
        settings = EdgeSettings(listen=args.listen, rasa_upstream=",".join(upstream_address(u) for u in args.rasa),
                                web_upstream=upstream_address(args.web), **options)
        prefix = render(args.directory, settings).parent
        print(f"wrote {prefix / CONFIG_NAME}", file=sys.stderr)
        command = nginx_command(prefix)
        check_config(prefix)
    except NginxMissing as error:
        print(f"edge proxy: not checked, {error}", file=sys.stderr)
        return 0 if args.action == "render" else 1
    except EdgeConfigError as error:
        print(f"edge proxy: {error}", file=sys.stderr)
        return 1
    if args.action == "render":
        print("checked with nginx -t; start it with:\n  " + " ".join(
            f"'{part}'" if " " in part else part for part in command), file=sys.stderr)
        return 0
    os.execv(command[0], command)
    return 0  # pragma: no cover (execv does not return)


if __name__ == "__main__":
    sys.exit(main())

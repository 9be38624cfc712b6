"""A small synchronous WeCom API client: tokens from `{api_base}gettoken` (wechatpy's URL is hard-coded),
JSON calls, multipart media upload, and a typed error carrying WeCom's errcode."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from wecom.settings import WeComSettings
from wecom.store import KeyValue, make_store

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
RATE_ERRORS = frozenset({45009, 45033, -1})


class WeComAPIError(Exception):
    """WeCom answered with a non-zero errcode (or the transport failed: errcode None, `status` set)."""

    def __init__(self, path: str, errcode: int | None, errmsg: str = "", status: int | None = None) -> None:
        super().__init__(f"{path}: errcode={errcode} status={status} {errmsg[:80]}")
        self.path, self.errcode, self.errmsg, self.status = path, errcode, errmsg, status

    @property
    def token_invalid(self) -> bool:
        return self.errcode in TOKEN_ERRORS

    @property
    def retryable(self) -> bool:
        """Rate limits, busy signals, 5xx and network failures are worth retrying after a pause."""
        return self.errcode in RATE_ERRORS or (self.errcode is None and (self.status is None or self.status >= 500))


class WeComAPI:
    """Calls one WeCom app (corp id + secret) at `api_base`, sharing its access token through `store`."""

    def __init__(self, settings: WeComSettings, store: KeyValue | None = None, timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.store = store if store is not None else make_store(settings.redis_url)
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._token_key = f"token:{settings.corp_id}:{uuid.uuid5(uuid.NAMESPACE_OID, settings.secret).hex[:12]}"

    def _request(self, path: str, data: bytes | None, headers: dict[str, str], query: dict[str, str]) -> Any:
        url = self.settings.api_base + path + "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise WeComAPIError(path, None, "http error", status=error.code) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise WeComAPIError(path, None, error.__class__.__name__) from None
        errcode = int(answer.get("errcode", 0) or 0)
        if errcode:
            raise WeComAPIError(path, errcode, str(answer.get("errmsg", "")))
        return answer

    def access_token(self, force: bool = False) -> str:
        """A cached token, fetched from `{api_base}gettoken` when missing, expired or `force`d."""
        if not force:
            cached = self.store.get(self._token_key)
            if cached:
                return cached
        with self._lock:
            cached = None if force else self.store.get(self._token_key)
            if cached:
                return cached
            answer = self._request(
                "gettoken", None, {}, {"corpid": self.settings.corp_id, "corpsecret": self.settings.secret}
            )
            token = str(answer["access_token"])
            self.store.set(self._token_key, token, max(1.0, float(answer.get("expires_in", 7200)) - 300))
            return token

    def invalidate_token(self, token: str) -> None:
        """Forget `token` (only if it is still the cached one, so a fresher token is kept)."""
        if self.store.get(self._token_key) == token:
            self.store.delete(self._token_key)

    def forget_token(self) -> None:
        """Drop the cached token whatever it is (after WeCom rejected a freshly fetched one)."""
        self.store.delete(self._token_key)

    def call(self, path: str, payload: dict[str, Any] | None = None, query: dict[str, str] | None = None) -> Any:
        """POST JSON (GET when payload is None); refetch the token once on 40001/40014/42001."""
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
        for attempt in (1, 2):
            token = self.access_token()
            try:
                return self._request(path, body, headers, {**(query or {}), "access_token": token})
            except WeComAPIError as error:
                if not error.token_invalid or attempt == 2:
                    raise
                self.invalidate_token(token)
        raise AssertionError("unreachable")

    def upload_media(self, content: bytes, filename: str = "image.png", media_type: str = "image") -> str:
        """Upload a file as temporary media (valid 3 days) and return its media_id."""
        boundary = uuid.uuid4().hex
        mime = "image/png" if filename.lower().endswith(".png") else "image/jpeg"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="{filename}"; '
            f'filelength={len(content)}\r\nContent-Type: {mime}\r\n\r\n'
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        for attempt in (1, 2):
            token = self.access_token()
            try:
                answer = self._request("media/upload", body, headers, {"access_token": token, "type": media_type})
                return str(answer["media_id"])
            except WeComAPIError as error:
                if not error.token_invalid or attempt == 2:
                    raise
                self.invalidate_token(token)
        raise AssertionError("unreachable")


def fetch_bytes(url: str, limit: int = 10 * 1024 * 1024, timeout_s: float = 10.0) -> bytes:
    """Download an image for re-upload, refusing anything over WeCom's 10 MB image limit."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        content: bytes = response.read(limit + 1)
    if len(content) > limit:
        raise ValueError("image: over 10 MB")
    return content

"""Small shared key-value stores: Redis when REDIS_URL is set, else process memory (or a file for cursors)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class KeyValue(Protocol):
    """Get/set with expiry and set-if-absent: all the token cache and de-duplication need."""

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_s: float) -> None: ...
    def add(self, key: str, value: str, ttl_s: float) -> bool: ...
    def delete(self, key: str) -> None: ...


class MemoryStore:
    """Thread-safe in-process store with expiry."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] < time.monotonic():
                self._data.pop(key, None)
                return None
            return item[0]

    def set(self, key: str, value: str, ttl_s: float) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl_s)
            if len(self._data) > 100_000:
                self._purge()

    def add(self, key: str, value: str, ttl_s: float) -> bool:
        with self._lock:
            item = self._data.get(key)
            if item is not None and item[1] >= time.monotonic():
                return False
            self._data[key] = (value, time.monotonic() + ttl_s)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, expiry) in self._data.items() if expiry < now]:
            del self._data[key]


class RedisStore:
    """The same operations on Redis, so several processes share tokens and seen ids (redis is optional).

    Redis holds only what can be fetched again (access tokens): while it is down or restarting, `get` misses
    and `set` is skipped, so a caller fetches a fresh token instead of failing. `add` and `delete` still raise,
    since a set-if-absent that cannot be answered must not pass for "first time".
    """

    def __init__(self, url: str, prefix: str = "wecom:") -> None:
        import redis  # imported lazily: only needed when REDIS_URL is set

        self._redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2.0,
                                           socket_connect_timeout=2.0)
        self._errors: tuple[type[Exception], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._prefix = prefix

    def get(self, key: str) -> str | None:
        try:
            value: Any = self._redis.get(self._prefix + key)
        except self._errors as error:
            logger.warning("redis unavailable (%s): cache miss", error.__class__.__name__)
            return None
        return None if value is None else str(value)

    def set(self, key: str, value: str, ttl_s: float) -> None:
        try:
            self._redis.set(self._prefix + key, value, px=max(1, int(ttl_s * 1000)))
        except self._errors as error:
            logger.warning("redis unavailable (%s): not cached", error.__class__.__name__)

    def add(self, key: str, value: str, ttl_s: float) -> bool:
        return bool(self._redis.set(self._prefix + key, value, px=max(1, int(ttl_s * 1000)), nx=True))

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


_MEMORY = MemoryStore()


def make_store(redis_url: str = "") -> KeyValue:
    """Redis when a URL is given, else one memory store shared by everything in this process."""
    return RedisStore(redis_url) if redis_url else _MEMORY


class CursorFile:
    """A durable cursor per key in a JSON file, replaced atomically so a crash never leaves half a write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def get(self, key: str) -> str:
        try:
            return str(json.loads(self.path.read_text(encoding="utf-8")).get(key, ""))
        except FileNotFoundError:
            return ""

    def put(self, key: str, cursor: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                data = {}
            data[key] = cursor
            handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cursor-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)

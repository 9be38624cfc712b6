"""The Redis store maps onto SET PX/NX (checked with a stand-in client; redis itself is optional)."""

from __future__ import annotations

import sys
import types
from typing import Any, ClassVar

import pytest

from wecom.api import WeComAPI
from wecom.settings import WeComSettings
from wecom.store import MemoryStore, RedisStore, make_store


class StandInRedis:
    """Just the calls RedisStore makes, with Redis' semantics for NX."""

    instances: ClassVar[list[StandInRedis]] = []

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        StandInRedis.instances.append(self)

    down = False

    @classmethod
    def from_url(cls, url: str, decode_responses: bool = False, **timeouts: float) -> StandInRedis:
        assert decode_responses and all(0 < t <= 5 for t in timeouts.values())  # a dead Redis must not hang us
        return cls()

    def get(self, key: str) -> str | None:
        if self.down:
            raise StandInConnectionError("connection refused")
        return self.data.get(key)

    def set(self, key: str, value: str, px: int | None = None, nx: bool = False) -> bool | None:
        if self.down:
            raise StandInConnectionError("connection refused")
        self.calls.append((key, {"px": px, "nx": nx}))
        if nx and key in self.data:
            return None
        self.data[key] = value
        return True

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class StandInConnectionError(Exception):
    """redis.exceptions.ConnectionError"""


@pytest.fixture()
def stand_in(monkeypatch: pytest.MonkeyPatch) -> type[StandInRedis]:
    module = types.ModuleType("redis")
    module.Redis = StandInRedis  # type: ignore[attr-defined]
    module.exceptions = types.SimpleNamespace(  # type: ignore[attr-defined]
        ConnectionError=StandInConnectionError, TimeoutError=TimeoutError)
    monkeypatch.setitem(sys.modules, "redis", module)
    StandInRedis.instances.clear()
    return StandInRedis


def test_redis_store_when_url_given(stand_in: type[StandInRedis]) -> None:
    store = make_store("redis://localhost:6379/0")
    assert isinstance(store, RedisStore)
    assert store.add("seen:x", "1", 10) and not store.add("seen:x", "1", 10)
    store.set("token", "abc", 1.5)
    assert store.get("token") == "abc"
    client = stand_in.instances[0]
    assert client.calls[-1] == ("wecom:token", {"px": 1500, "nx": False})
    store.delete("token")
    assert store.get("token") is None


def test_two_processes_share_one_token(stand_in: type[StandInRedis]) -> None:
    shared = RedisStore("redis://r")
    settings = WeComSettings(corp_id="ww", secret="s", token="t", aes_key="a" * 43)
    first, second = WeComAPI(settings, shared), WeComAPI(settings, shared)
    shared.set(first._token_key, "cached-token", 100)
    assert second.access_token() == "cached-token"


def test_a_redis_that_is_down_is_a_cache_miss_for_tokens_but_not_a_first_time(stand_in: type[StandInRedis]) -> None:
    store = RedisStore("redis://r")
    store.set("token", "abc", 100)
    stand_in.instances[0].down = True
    assert store.get("token") is None  # the caller fetches a fresh token instead of failing
    store.set("token", "new", 100)  # skipped, not raised
    with pytest.raises(StandInConnectionError):
        store.add("seen:1", "1", 10)  # "first time?" cannot be answered: never pretend it can
    stand_in.instances[0].down = False
    assert store.get("token") == "abc"


def test_memory_store_without_url() -> None:
    assert isinstance(make_store(""), MemoryStore)
    store = MemoryStore()
    store.set("k", "v", -1)
    assert store.get("k") is None and store.add("k", "v", 10)

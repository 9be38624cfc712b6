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

    @classmethod
    def from_url(cls, url: str, decode_responses: bool = False) -> StandInRedis:
        assert decode_responses
        return cls()

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str, px: int | None = None, nx: bool = False) -> bool | None:
        self.calls.append((key, {"px": px, "nx": nx}))
        if nx and key in self.data:
            return None
        self.data[key] = value
        return True

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


@pytest.fixture()
def stand_in(monkeypatch: pytest.MonkeyPatch) -> type[StandInRedis]:
    module = types.ModuleType("redis")
    module.Redis = StandInRedis  # type: ignore[attr-defined]
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


def test_memory_store_without_url() -> None:
    assert isinstance(make_store(""), MemoryStore)
    store = MemoryStore()
    store.set("k", "v", -1)
    assert store.get("k") is None and store.add("k", "v", 10)

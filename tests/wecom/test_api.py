"""The API client against the fake WeCom server: base URL honoured, tokens shared and refreshed."""

from __future__ import annotations

import pytest

from tests.wecom_peer.fake_api import PNG, FakeWeCom
from wecom import messages
from wecom.api import WeComAPI, WeComAPIError
from wecom.settings import WeComSettings
from wecom.store import MemoryStore


def test_token_is_fetched_from_the_configured_base_and_shared(fake: FakeWeCom, settings: WeComSettings,
                                                              store: MemoryStore) -> None:
    before = fake.token_fetches
    first, second = WeComAPI(settings, store), WeComAPI(settings, store)
    first.call("message/send", {"touser": "u1", **messages.text("a")})
    second.call("message/send", {"touser": "u1", **messages.text("b")})
    assert fake.token_fetches == before + 1
    assert [b["text"]["content"] for b in fake.sent(to="u1")] == ["a", "b"]


def test_expired_token_is_refetched_once(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    api = WeComAPI(settings, store)
    api.access_token()
    fake.expire_tokens()
    api.call("message/send", {"touser": "u2", **messages.text("x")})
    assert len(fake.sent(to="u2")) == 1


def test_errors_carry_the_errcode(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    fake.inject("message/send", 45009)
    with pytest.raises(WeComAPIError) as caught:
        WeComAPI(settings, store).call("message/send", {"touser": "u3", **messages.text("x")})
    assert caught.value.errcode == 45009 and caught.value.retryable


def test_wrong_secret_is_not_retried(fake: FakeWeCom, settings: WeComSettings) -> None:
    from dataclasses import replace

    with pytest.raises(WeComAPIError) as caught:
        WeComAPI(replace(settings, secret="wrong"), MemoryStore()).access_token()
    assert caught.value.errcode == 40001


def test_image_upload_is_multipart_named_media(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    media_id = WeComAPI(settings, store).upload_media(PNG, "a.png")
    assert media_id.startswith("MEDIA")
    assert fake.sent("media/upload")[0]["type"] == "image"

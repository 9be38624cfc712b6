"""The API client against the fake WeCom server: base URL honoured, tokens shared and refreshed."""

from __future__ import annotations

import pytest

from tests.wecom_peer.fake_api import PNG, FakeWeCom
from wecom import broadcast, messages
from wecom.api import WeComAPI, WeComAPIError
from wecom.settings import DEFAULT_API_BASE, SettingsError, WeComSettings
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


def test_broadcast_helpers(fake: FakeWeCom, settings: WeComSettings, store: MemoryStore) -> None:
    api = WeComAPI(settings, store)
    ids = [f"user{i}" for i in range(1500)]
    assert broadcast.to_users(api, ids, messages.text("晨会纪要")) == []
    batches = fake.sent()
    assert [len(b["touser"].split("|")) for b in batches] == [1000, 500]
    broadcast.to_department(api, [1, 2], messages.markdown("**通知**"))
    assert fake.sent()[-1]["toparty"] == "1|2"
    broadcast.to_app_chat(api, "chat1", messages.text("hi"))
    assert fake.sent("appchat/send")[0]["chatid"] == "chat1"
    with pytest.raises(ValueError, match="template_card"):
        broadcast.to_app_chat(api, "chat1", messages.button_card("t", [("a", "b")]))


class TestSettings:
    def test_unset_means_disabled(self) -> None:
        assert WeComSettings.from_env("app", {}) is None

    def test_from_env_with_defaults(self) -> None:
        env = {"WECOM_CORP_ID": "ww1", "WECOM_SECRET": "s", "WECOM_TOKEN": "t",
               "WECOM_AES_KEY": "a" * 43, "WECOM_AGENT_ID": "1000002", "WECOM_KF_SECRET": "k"}
        app = WeComSettings.from_env("app", env)
        kf = WeComSettings.from_env("kf", env)
        assert app is not None and app.api_base == DEFAULT_API_BASE and app.agent_id == 1000002
        assert kf is not None and kf.secret == "k" and kf.token == "t"

    def test_bad_values_name_the_variable(self) -> None:
        env = {"WECOM_CORP_ID": "ww1", "WECOM_SECRET": "s", "WECOM_TOKEN": "t", "WECOM_AES_KEY": "short"}
        with pytest.raises(SettingsError, match="WECOM_AES_KEY"):
            WeComSettings.from_env("app", env)
        with pytest.raises(SettingsError, match="WECOM_AGENT_ID"):
            WeComSettings.from_env("app", {**env, "WECOM_AES_KEY": "a" * 43, "WECOM_AGENT_ID": "x"})

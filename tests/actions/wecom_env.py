"""The WECOM_* settings that point services/notify.py at the fake WeCom API (tests/wecom_peer/fake_api.py)."""

from __future__ import annotations

from tests.wecom_peer.fake_api import FakeWeCom


def wecom_env(fake: FakeWeCom) -> dict[str, str]:
    """The WECOM_* settings that make services/notify.py send through `fake`."""
    return {"WECOM_CORP_ID": fake.corp_id, "WECOM_SECRET": "app-secret", "WECOM_TOKEN": "token",
            "WECOM_AES_KEY": "a" * 43, "WECOM_AGENT_ID": "1000002", "WECOM_KF_SECRET": "kf-secret",
            "WECOM_API_BASE": fake.api_base, "WECOM_KF_OPEN_KFID": "wkTESTKF"}

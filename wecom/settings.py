"""WeCom settings read from the environment, so one credentials.yml serves set-ups with and without WeCom."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"


class SettingsError(ValueError):
    """A WeCom setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class WeComSettings:
    """What a WeCom app (or the 微信客服 account) needs: ids, secrets, callback keys and the API base URL."""

    corp_id: str
    secret: str
    token: str
    aes_key: str
    agent_id: int = 0
    api_base: str = DEFAULT_API_BASE
    redis_url: str = ""
    state_dir: str = "var/wecom"
    max_body_bytes: int = 64 * 1024
    max_clock_skew_s: int = 300
    max_concurrent: int = 2
    database_url: str = ""  # the bank database (DATABASE_URL): the channels' inbox and outbox live there

    @classmethod
    def from_env(cls, kind: str = "app", env: Mapping[str, str] | None = None) -> WeComSettings | None:
        """Settings for `kind` ("app" or "kf") from WECOM_* variables, or None when they are not all set.

        The app uses WECOM_SECRET/WECOM_TOKEN/WECOM_AES_KEY; 微信客服 uses WECOM_KF_SECRET and, when set,
        WECOM_KF_TOKEN/WECOM_KF_AES_KEY (else the app's callback keys).
        """
        env = os.environ if env is None else env
        if kind == "kf":
            values = {
                "WECOM_KF_SECRET": env.get("WECOM_KF_SECRET", ""),
                "WECOM_KF_TOKEN": env.get("WECOM_KF_TOKEN") or env.get("WECOM_TOKEN", ""),
                "WECOM_KF_AES_KEY": env.get("WECOM_KF_AES_KEY") or env.get("WECOM_AES_KEY", ""),
            }
        elif kind == "app":
            values = {name: env.get(name, "") for name in ("WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY")}
        else:
            raise SettingsError(f"kind must be 'app' or 'kf', not {kind!r}")
        corp_id = env.get("WECOM_CORP_ID", "")
        if not corp_id or not all(values.values()):
            return None
        secret, token, aes_key = values.values()
        if len(aes_key) != 43:
            raise SettingsError(f"{list(values)[2]} must be 43 characters long")
        agent_id = env.get("WECOM_AGENT_ID", "0") or "0"
        if not agent_id.isdigit():
            raise SettingsError("WECOM_AGENT_ID must be a number")
        api_base = env.get("WECOM_API_BASE") or DEFAULT_API_BASE
        return cls(
            corp_id=corp_id,
            secret=secret,
            token=token,
            aes_key=aes_key,
            agent_id=int(agent_id),
            api_base=api_base if api_base.endswith("/") else api_base + "/",
            redis_url=env.get("REDIS_URL", ""),
            state_dir=env.get("WECOM_STATE_DIR", "var/wecom"),
            max_concurrent=_positive(env, "WECOM_MAX_CONCURRENT", 2),
            database_url=env.get("DATABASE_URL", "").strip(),
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a positive integer")
    return int(raw)

"""The production profile refuses to start while any demo or missing setting remains, and names each one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from scripts.services import ROOT
from services.settings import ProductionRefused, check_profile
from web.settings import Settings

AES_KEY = "a" * 43
PRODUCTION = {
    "APP_ENV": "production", "DEMO_LOGIN": "false", "SESSION_SECRET": "s" * 48,
    "ACTION_SERVER_TOKEN": "t" * 40, "RASA_AUTH_TOKEN": "r" * 40, "WEB_CHANNEL_SECRET": "w" * 40,
    "DATABASE_URL": "postgresql+psycopg://bank@127.0.0.1:5432/bank", "PUBLIC_BASE_URL": "https://wealth.example.cn",
    "WECOM_CORP_ID": "ww0123", "WECOM_SECRET": "secret", "WECOM_TOKEN": "token", "WECOM_AES_KEY": AES_KEY,
}
# Each demo or missing setting, and the name the refusal must give.
BREAKS = [
    ({"DEMO_LOGIN": "true"}, "DEMO_LOGIN"),
    ({"SESSION_SECRET": None}, "SESSION_SECRET"),
    ({"SESSION_SECRET": "short"}, "SESSION_SECRET"),
    ({"ACTION_SERVER_TOKEN": None}, "ACTION_SERVER_TOKEN"),
    ({"RASA_AUTH_TOKEN": "r" * 10}, "RASA_AUTH_TOKEN"),
    ({"WEB_CHANNEL_SECRET": None}, "WEB_CHANNEL_SECRET"),
    ({"DATABASE_URL": "sqlite:///var/bank.db"}, "DATABASE_URL"),
    ({"WECOM_CORP_ID": None}, "WECOM_CORP_ID"),
    ({"WECOM_AES_KEY": "short"}, "WECOM_AES_KEY"),
    ({"PUBLIC_BASE_URL": "http://wealth.example.cn"}, "PUBLIC_BASE_URL"),
    ({"FAULT_CRASH_AFTER_ACTION": "action_push_send"}, "FAULT_CRASH_AFTER_ACTION"),
]
NAMES = ("APP_ENV", "DEMO_LOGIN", "SESSION_SECRET", "ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN", "WEB_CHANNEL_SECRET",
         "DATABASE_URL",
         "PUBLIC_BASE_URL", "WECOM_CORP_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY",
         "FAULT_CRASH_AFTER_ACTION")


def environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str | None]) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        if value is not None:
            monkeypatch.setenv(name, value)


def test_a_complete_production_configuration_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, PRODUCTION)
    settings = Settings(_env_file=None)
    assert settings.production and settings.production_problems() == []
    check_profile(settings)


@pytest.mark.parametrize(("change", "named"), BREAKS)
def test_each_demo_or_missing_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch,
                                                         change: dict[str, str | None], named: str) -> None:
    environment(monkeypatch, {**PRODUCTION, **change})
    with pytest.raises(ProductionRefused) as refused:
        check_profile(Settings(_env_file=None))
    assert [p for p in refused.value.problems if p.startswith(named) or f", {named}" in p]


def test_the_demo_profile_allows_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, {})
    settings = Settings(_env_file=None)
    assert not settings.production and settings.demo_login
    check_profile(settings)  # no refusal


def run_in(values: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in NAMES} | values
    return subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_make_run_refuses_before_starting_anything() -> None:
    run = run_in({"APP_ENV": "production"}, "-m", "scripts.run")
    assert run.returncode == 2
    for name in ("DEMO_LOGIN", "SESSION_SECRET", "ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN", "DATABASE_URL"):
        assert name in run.stderr
    assert "starting" not in run.stdout


@pytest.mark.parametrize("command", [("-m", "scripts.action_server", "--port", "1"),
                                     ("-m", "services.outbox", "run"),
                                     ("-c", "import web.app")])
def test_each_service_refuses_on_its_own(command: tuple[str, ...]) -> None:
    run = run_in({**PRODUCTION, "DATABASE_URL": "sqlite:///var/bank.db"}, *command)
    assert run.returncode != 0 and "DATABASE_URL" in run.stderr

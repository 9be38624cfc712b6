"""The process layout per host role (deploy/supervisord): each file parses, loads in supervisord itself,
runs the commands `make run` runs on loopback addresses, and takes secrets only from the environment."""

from __future__ import annotations

import configparser
import getpass
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import services
from tests.deploy.helpers import ROOT, SECRET_NAME, SECRET_SETTINGS, SUPERVISORD, module_exists

ROLES = ("data.conf", "rasa.conf", "actions.conf", "app.conf", "edge.conf")
LOOPBACK = "127.0.0.1"
# What the configs read from supervisord's environment, with stand-ins for this test.
ENVIRONMENT = {"WEALTH_ROLES": " ".join(ROLES), "WEALTH_USER": getpass.getuser(),
               "RASA_AUTH_TOKEN": "r" * 48, "REDIS_PASSWORD": "p" * 32,
               "EDGE_SERVER_NAME": "wealth.example.cn", "EDGE_TLS_CERTIFICATE": "/etc/ssl/certs/wealth.pem",
               "EDGE_TLS_CERTIFICATE_KEY": "/etc/ssl/private/wealth.key"}
# Debian's programs the data role runs (scripts/setup_system.sh --test installs them).
SYSTEM_PROGRAMS = {"/usr/bin/redis-server": "redis-server",
                   "/usr/lib/postgresql/15/bin/postgres": "postgresql"}


def parse(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    assert parser.read(SUPERVISORD / name, encoding="utf-8"), name
    return parser


def load(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Any:
    """supervisord's own reading of supervisord.conf and the roles it includes (no process is started)."""
    from supervisor.options import ServerOptions

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (SUPERVISORD / ".." / ".." / "var" / "log").resolve().mkdir(parents=True, exist_ok=True)  # a fresh clone's
    options = ServerOptions()
    options.configfile = str(SUPERVISORD / "supervisord.conf")
    options.process_config(do_usage=False)
    return options


@pytest.fixture
def programs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    options = load(monkeypatch, ENVIRONMENT)
    return {p.name: p for group in options.process_group_configs for p in group.process_configs}


def argv(program: Any) -> list[str]:
    """The command as supervisord runs it, paths normalised (`…/deploy/supervisord/../..` is the root)."""
    return [os.path.normpath(part) if part.startswith("/") else part for part in shlex.split(program.command)]


def options(words: list[str], name: str) -> list[str]:
    """Every value of an option given more than once."""
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == name]


def option(words: list[str], name: str) -> str:
    for i, word in enumerate(words):
        if word == name:
            return words[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{name} missing from {words}")


def test_every_role_parses_and_each_program_names_its_command() -> None:
    for role in ROLES:
        parser = parse(role)
        sections = [s for s in parser.sections() if s.startswith("program:")]
        assert sections, f"{role}: no program"
        for section in sections:
            assert parser.get(section, "command").strip(), f"{role} [{section}]"
            assert parser.getboolean(section, "stopasgroup", fallback=True), f"{role} [{section}]"
    main = parse("supervisord.conf")
    assert main.get("include", "files").strip() == "%(ENV_WEALTH_ROLES)s"
    assert main.get("unix_http_server", "file") and not main.has_section("inet_http_server")


def test_supervisord_loads_the_whole_layout(programs: dict[str, Any]) -> None:
    assert set(programs) == {"redis", "postgresql", "actions-5055", "actions-5056", "rasa-1", "rasa-2", "web",
                             "sender", "scheduler", "edge"}


def test_a_missing_secret_stops_supervisord_from_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    with pytest.raises(ValueError, match="RASA_AUTH_TOKEN"):
        load(monkeypatch, {k: v for k, v in ENVIRONMENT.items() if k != "RASA_AUTH_TOKEN"})


def test_only_the_edge_keeps_root(programs: dict[str, Any]) -> None:
    """Under a root supervisord (for port 443) every other program drops to the service user; PostgreSQL
    refuses root anyway."""
    import pwd

    service_uid = pwd.getpwnam(ENVIRONMENT["WEALTH_USER"]).pw_uid
    for name, program in programs.items():
        assert program.uid == (None if name == "edge" else service_uid), name
    assert option(argv(programs["edge"]), "--user") == "www-data", "nginx's workers must not stay root"


def test_children_get_make_runs_environment(programs: dict[str, Any]) -> None:
    for name, program in programs.items():
        environment = program.environment or {}
        for key, value in services.BASE_ENV.items():
            assert environment.get(key) == value, f"{name}: {key}"
        assert os.path.normpath(environment["PYTHONPATH"]) == str(ROOT)
        assert os.path.normpath(program.directory) == str(ROOT), name


def test_each_program_runs_the_command_make_run_runs(programs: dict[str, Any]) -> None:
    endpoints, credentials = SUPERVISORD / "endpoints.yml", ROOT / "deploy" / "credentials.production.yml"
    token = {"RASA_AUTH_TOKEN": ENVIRONMENT["RASA_AUTH_TOKEN"]}
    expected = {
        "rasa-1": services.rasa_server(5005, endpoints, credentials, env=token).command,
        "rasa-2": services.rasa_server(5006, endpoints, credentials, env=token).command,
        "actions-5055": [*services.action_server(5055).command, "--host", LOOPBACK],
        "actions-5056": [*services.action_server(5056).command, "--host", LOOPBACK],
        "web": services.web_app(8000, host=LOOPBACK).command,
        "sender": services.sender().command,
        "scheduler": services.scheduler().command,
    }
    for name, command in expected.items():
        assert argv(programs[name]) == command, name
    # the model is the one scripts/train_model.sh (make model) writes
    train = (ROOT / "scripts" / "train_model.sh").read_text(encoding="utf-8")
    assert services.MODEL == ROOT / "models" / "current.tar.gz"
    assert "--out models" in train and "--fixed-model-name current" in train


def test_every_command_exists_in_the_repository_or_debian(programs: dict[str, Any]) -> None:
    for name, program in programs.items():
        words = argv(program)
        executable = Path(words[0])
        if str(executable) in SYSTEM_PROGRAMS:
            package = SYSTEM_PROGRAMS[str(executable)]
            assert executable.is_file(), f"{name}: {executable} missing (apt-get install {package})"
            continue
        assert executable.is_relative_to(ROOT), f"{name}: {executable} is not the project's"
        assert executable.exists(), f"{name}: {executable} does not exist (make setup)"
        if words[1] == "-m":
            module = words[3].split(":")[0] if words[2] == "uvicorn" else words[2]
            assert module_exists(module), f"{name}: no module {module}"
        for flag in ("--endpoints", "--credentials"):
            if flag in words:
                assert Path(option(words, flag)).is_file(), f"{name}: {flag}"


def test_internal_services_listen_on_loopback_only(programs: dict[str, Any]) -> None:
    listening = {"rasa-1": "--interface", "rasa-2": "--interface", "actions-5055": "--host",
                 "actions-5056": "--host", "web": "--host", "redis": "--bind"}
    for name, flag in listening.items():
        assert option(argv(programs[name]), flag) == LOOPBACK, name
    assert option(argv(programs["postgresql"]), "-c") == f"listen_addresses={LOOPBACK}"
    # The edge is the public door; what it forwards to is on loopback, on the ports the programs listen on.
    edge = argv(programs["edge"])
    instances = [f"http://{LOOPBACK}:{option(argv(programs[name]), '--port')}" for name in ("rasa-1", "rasa-2")]
    assert options(edge, "--rasa") == instances  # callbacks over every instance
    assert option(edge, "--web") == f"http://{LOOPBACK}:{option(argv(programs['web']), '--port')}"
    assert programs["web"].environment["RASA_URL"].split(",") == instances  # and the web chat too


def test_each_rasa_instance_has_its_action_server(programs: dict[str, Any]) -> None:
    endpoints = yaml.safe_load((SUPERVISORD / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["url"] == "${ACTION_SERVER_URL}"
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    action_ports = {option(argv(p), "--port") for name, p in programs.items() if name.startswith("actions-")}
    for name in ("rasa-1", "rasa-2"):
        url = programs[name].environment["ACTION_SERVER_URL"]
        host, port = re.fullmatch(r"http://([\d.]+):(\d+)/webhook", url).groups()  # type: ignore[union-attr]
        assert host == LOOPBACK and port in action_ports, name
    ports = [option(argv(programs[n]), "--port") for n in ("rasa-1", "rasa-2")]
    assert len(set(ports)) == len(ports)


def test_secrets_come_from_the_environment_only() -> None:
    for role in ("supervisord.conf", *ROLES):
        parser = parse(role)
        for section in parser.sections():
            for key, value in parser.items(section):
                if key == "environment":
                    names = set(re.findall(r"(\w+)=", value))
                    leaked = {n for n in names if n in SECRET_SETTINGS or SECRET_NAME.search(n)} - {
                        "ACTION_SERVER_URL", "RASA_URL"}
                    assert not leaked, f"{role} [{section}]: {leaked} set in the file"
                for flag in re.findall(r"--(?:auth-token|requirepass)[= ]+(\S+)", value):
                    from_env = re.fullmatch(r'"?%\(ENV_\w+\)s"?', flag)
                    assert from_env, f"{role} [{section}]: literal secret {flag}"

"""The Dockerfiles (deploy/docker): not built here (no base image can be pulled), so read: each step calls the
scripts `make` calls with the same lock files, copies what it uses before using it, and the image runs as the
manifests' non-root user the command the manifests run."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path

import pytest

from tests.deploy.helpers import (
    DOCKER,
    IMAGE_ROOT,
    PRODUCTION,
    ROOT,
    containers,
    load_renderer,
    module_exists,
)

DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
REPO_PATH = re.compile(r"(?<![\w/.-])((?:scripts|requirements|bot|lexicon|deploy)/[\w./-]+)")
Instruction = tuple[str, str]


def instructions(path: Path) -> list[Instruction]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        current += raw.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        lines.append(current)
        current = ""
    assert not current, f"{path.name}: ends inside a continued line"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in lines]


def makefile_venvs() -> dict[str, tuple[str, list[str]]]:
    """How the Makefile sets up each environment: venv -> (Python version, lock files)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.findall(r'scripts/setup_venv\.sh (\S+) "\$\(PY(\d)(\d+)\)" (.+)', makefile)
    return {venv: (f"{major}.{minor}", files.split()) for venv, major, minor, files in found}


def copied(steps: list[Instruction]) -> list[str]:
    """Repository paths the COPY steps so far put into the image ('.' for everything)."""
    paths = []
    for name, args in steps:
        if name == "COPY":
            *sources, _ = args.split()
            paths += [s.rstrip("/") for s in sources if not s.startswith("--")]
    return paths


def is_copied(path: str, sources: list[str]) -> bool:
    return any(s == "." or path == s or path.startswith(s + "/") for s in sources)


@pytest.fixture(params=DOCKERFILES, ids=[p.name for p in DOCKERFILES])
def dockerfile(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_there_is_a_dockerfile_per_service() -> None:
    names = {p.name.removesuffix(".Dockerfile") for p in DOCKERFILES}
    assert names == {"rasa", "actions", "web", "worker", "edge"}
    images = {c["image"] for m in load_renderer().render(PRODUCTION) for c in containers(m)}
    assert {re.sub(r"^wealth/(\w+):.*$", r"\1", image) for image in images} == {
        p.name.removesuffix(".Dockerfile") for p in DOCKERFILES}


def test_copies_name_existing_files(dockerfile: Path) -> None:
    for source in copied(instructions(dockerfile)):
        assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source}: no such file"


def test_run_steps_call_existing_scripts_after_copying_them(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    for i, (name, args) in enumerate(steps):
        if name != "RUN":
            continue
        for path in REPO_PATH.findall(args):
            assert (ROOT / path).exists(), f"{dockerfile.name}: RUN uses {path}, which does not exist"
            assert is_copied(path, copied(steps[:i])), f"{dockerfile.name}: RUN uses {path} before copying it"


def test_environments_are_set_up_as_make_does(dockerfile: Path) -> None:
    venvs = makefile_venvs()
    assert {".venv", ".venv-rasa"} <= set(venvs), venvs
    setups = [shlex.split(args) for name, args in instructions(dockerfile)
              if name == "RUN" and "scripts/setup_venv.sh" in args]
    base = next(args for name, args in instructions(dockerfile) if name == "FROM")
    if dockerfile.name == "edge.Dockerfile":
        assert not setups and base.startswith("debian:")
        return
    [setup] = setups
    venv, interpreter, *files = setup[setup.index("scripts/setup_venv.sh") + 1:]
    version, make_files = venvs[venv]
    assert files == make_files, f"{dockerfile.name}: {files} where make uses {make_files}"
    assert interpreter.endswith(f"python{version}") and base.startswith(f"python:{version}-"), dockerfile.name


def test_the_rasa_image_trains_the_model_as_make_does() -> None:
    steps = instructions(DOCKER / "rasa.Dockerfile")
    [index] = [i for i, (name, args) in enumerate(steps)
               if name == "RUN" and "scripts/train_model.sh" in args]
    # everything train_model.sh hashes and Rasa trains on is in the image before it runs
    script = (ROOT / "scripts" / "train_model.sh").read_text(encoding="utf-8")
    inputs = {"config.yml", "domain.yml", *re.findall(r"find (\S+) -type f", script)}
    assert {"bot/data", "bot/nlu", "lexicon"} <= inputs
    for path in inputs:
        assert is_copied(path, copied(steps[:index])), f"rasa.Dockerfile trains before copying {path}"


def test_images_run_as_the_manifests_user_the_command_the_manifests_run(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    users = [args for name, args in steps if name == "USER"]
    assert users == ["10001"], f"{dockerfile.name}: USER {users}"
    last_run = max(i for i, (name, _) in enumerate(steps) if name == "RUN")
    assert steps.index(("USER", "10001")) > last_run, f"{dockerfile.name}: a RUN after USER"
    [cmd] = [json.loads(args) for name, args in steps if name == "CMD"]
    words = shlex.split(cmd[2]) if cmd[:2] == ["/bin/sh", "-c"] else cmd
    words = words[1:] if words[0] == "exec" else words
    name = dockerfile.name.removesuffix(".Dockerfile")
    manifests = {c["name"]: c for m in load_renderer().render(PRODUCTION) for c in containers(m)
                 if c["image"].startswith(f"wealth/{name}:")}
    assert manifests, name
    # what the image runs (its CMD, the manifests' commands and exec probes) is the interpreter it sets up
    setups = [shlex.split(args) for step, args in steps if step == "RUN" and "scripts/setup_venv.sh" in args]
    if setups:
        venv = setups[0][setups[0].index("scripts/setup_venv.sh") + 1]
        interpreter = f"{IMAGE_ROOT}/{venv}/bin/"
    else:
        assert any(step == "RUN" and "python3" in args.split() for step, args in steps), dockerfile.name
        interpreter = "python3"
    commands = [words] + [c["command"] for c in manifests.values()] + [
        c[probe]["exec"]["command"] for c in manifests.values()
        for probe in ("readinessProbe", "livenessProbe") if "exec" in c.get(probe, {})]
    for command in commands:
        assert command[0].startswith(interpreter), f"{dockerfile.name}: {command[0]} is not {interpreter}"
        if "-m" in command:
            module = command[command.index("-m") + 1]
            module = command[command.index("-m") + 2].split(":")[0] if module == "uvicorn" else module
            assert module_exists(module), f"{dockerfile.name}: {command} runs {module}, which does not exist"
    if name in ("actions", "web"):
        assert words == manifests[name]["command"], f"{dockerfile.name}: CMD differs from the manifest"
    for path in REPO_PATH.findall(" ".join(words)):
        assert (ROOT / path).exists(), f"{dockerfile.name}: CMD uses {path}"


def test_the_build_context_keeps_what_the_image_copies(dockerfile: Path) -> None:
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    patterns = [line.strip() for line in ignore.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    assert {".venv", "var", "models"} <= set(patterns), f"{ignore.name}: environments and state stay out"
    for source in copied(instructions(dockerfile)):
        if source != ".":
            assert not any(fnmatch.fnmatch(source, p) or source.startswith(p + "/") for p in patterns), (
                f"{ignore.name} leaves out {source}, which {dockerfile.name} copies")

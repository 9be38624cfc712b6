"""What the deployment tests share: the repository's paths, the offline kustomize renderer, and which
settings are secrets."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
SUPERVISORD = DEPLOY / "supervisord"
DOCKER = DEPLOY / "docker"
IMAGE_ROOT = "/app"  # where the Dockerfiles put the repository (WORKDIR)

# The settings that are secrets: never a literal in a manifest or a supervisord file, only from the Secret or
# the environment. DATABASE_URL and REDIS_URL carry passwords.
SECRET_SETTINGS = frozenset({
    "ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN", "WEB_CHANNEL_SECRET", "SESSION_SECRET", "DATABASE_URL",
    "REDIS_URL", "REDIS_PASSWORD", "TRACKER_DB_PASSWORD", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY",
    "WECOM_KF_SECRET", "WECOM_KF_TOKEN", "WECOM_KF_AES_KEY",
})
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|AES_KEY|_URL$")


def load_renderer() -> ModuleType:
    """deploy/k8s/render.py as a module (deploy/ is no package)."""
    spec = importlib.util.spec_from_file_location("deploy_k8s_render", K8S / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_exists(module: str) -> bool:
    """Whether `module` (dotted) is a module or package of this repository."""
    path = ROOT.joinpath(*module.split("."))
    package = any((path / name).is_file() for name in ("__init__.py", "__main__.py"))
    return path.with_suffix(".py").is_file() or package


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers of a Deployment or Job (empty for other kinds)."""
    if manifest["kind"] not in ("Deployment", "Job"):
        return []
    return list(manifest["spec"]["template"]["spec"]["containers"])

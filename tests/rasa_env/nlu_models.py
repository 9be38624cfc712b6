"""Train a small NLU model with the real `rasa train nlu` (custom components from bot/ on the path) and load it."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def train_nlu(work: Path, config: str, nlu: str, domain: str, name: str) -> Path:
    """Write config, data and domain into `work`, train there, and return the model archive."""
    for file, text in (("config.yml", config), ("nlu.yml", nlu), ("domain.yml", domain)):
        (work / file).write_text(text, encoding="utf-8")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "rasa", "train", "nlu", "--nlu", str(work / "nlu.yml"), "--config",
                    str(work / "config.yml"), "--domain", str(work / "domain.yml"), "--out", str(work),
                    "--fixed-model-name", name], cwd=work, env=env, check=True, capture_output=True)
    return work / f"{name}.tar.gz"


def stored_files(model: Path) -> list[str]:
    """The file names in a model archive; fails if any is a pickle (components store arrays, JSON or their
    library's own format)."""
    with tarfile.open(model) as archive:
        names = archive.getnames()
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names), names
    return names


def load_agent(model: Path) -> Any:
    """A Rasa Agent with `model` loaded (bot/ importable for the custom components)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from rasa.core.agent import Agent

    return Agent.load(str(model))

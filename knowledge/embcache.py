"""Embedding cache keyed by (model, content hash) in SQLite, so unchanged chunks are never re-embedded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from knowledge.embed import Embedder


class EmbeddingCache:
    """A small SQLite table of float32 vectors; safe for several processes (SQLite locking)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (model TEXT, hash TEXT, v BLOB, PRIMARY KEY (model, hash))")
        self._db.commit()

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            q = f"SELECT hash, v FROM vec WHERE model=? AND hash IN ({','.join('?' * len(part))})"
            for h, blob in self._db.execute(q, [model, *part]):
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put(self, model: str, items: dict[str, np.ndarray]) -> None:
        rows = [(model, h, np.asarray(v, np.float32).tobytes()) for h, v in items.items()]
        self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?, ?)", rows)
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def embed_passages(embedder: Embedder, texts: list[str], hashes: list[str], cache: EmbeddingCache | None,
                   batch: int = 64, progress: bool = False) -> tuple[np.ndarray, int]:
    """Embed passages, reusing cached vectors; returns (matrix, number actually embedded)."""
    known = cache.get(embedder.name, hashes) if cache else {}
    todo = [i for i, h in enumerate(hashes) if h not in known]
    fresh: dict[str, np.ndarray] = {}
    steps = range(0, len(todo), batch)
    if progress and len(todo) > batch:
        from tqdm import tqdm

        steps = tqdm(steps, desc="embedding", unit="batch")
    for start in steps:
        idx = todo[start:start + batch]
        vecs = embedder.encode_passages([texts[i] for i in idx])
        for i, v in zip(idx, vecs, strict=True):
            fresh[hashes[i]] = v
        if cache:
            cache.put(embedder.name, {hashes[i]: fresh[hashes[i]] for i in idx})
    known.update(fresh)
    if not hashes:
        return np.zeros((0, embedder.dim), np.float32), 0
    return np.stack([known[h] for h in hashes]).astype(np.float32), len(todo)

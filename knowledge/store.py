"""The on-disk index: immutable generations (chunks + vectors [+ faiss file]) and an atomically swapped pointer.

Layout of an index directory::

    CURRENT            name of the live generation (replaced with os.replace, so readers never see half)
    gen-000042/        chunks.jsonl, vectors.npy, meta.json, fields.json + fields.npy (title, headings and
                       summary vectors by document) [, dense.faiss when approximate]
    embcache.sqlite    embedding cache by (model, content hash)
    write.lock         fcntl lock taken by writers (one writer at a time, readers never block)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

KEEP_GENERATIONS = 3


class IndexMissingError(FileNotFoundError):
    """No index has been built in the directory yet; the message names the directory."""


@dataclass
class Snapshot:
    """One generation's contents: chunk records (dicts, aligned with `vectors` rows) and build metadata."""

    name: str
    records: list[dict]
    vectors: np.ndarray
    meta: dict
    faiss_path: Path | None = None
    field_keys: list[list[str]] = field(default_factory=list)
    field_vectors: np.ndarray | None = None


def current_name(root: Path) -> str | None:
    """The live generation's name, or None when nothing is built."""
    try:
        return (root / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def read_snapshot(root: Path) -> Snapshot:
    """Read the live generation (retrying once if a writer pruned it between pointer read and file read)."""
    for _ in range(3):
        name = current_name(root)
        if name is None:
            raise IndexMissingError(f"index_dir: no index in {root} (run `python -m knowledge ensure`)")
        gen = root / name
        try:
            meta = json.loads((gen / "meta.json").read_text())
            with open(gen / "chunks.jsonl", encoding="utf-8") as fh:
                records = [json.loads(line) for line in fh if line.strip()]
            vectors = np.load(gen / "vectors.npy")
            has_fields = (gen / "fields.json").exists()
            field_keys = json.loads((gen / "fields.json").read_text()) if has_fields else []
            field_vectors = np.load(gen / "fields.npy") if has_fields else None
        except FileNotFoundError:
            time.sleep(0.05)
            continue
        faiss_path = gen / "dense.faiss"
        return Snapshot(name, records, vectors, meta, faiss_path if faiss_path.exists() else None,
                        field_keys, field_vectors)
    raise IndexMissingError(f"index_dir: generation in {root} vanished while reading")


def write_snapshot(root: Path, records: list[dict], vectors: np.ndarray, meta: dict,
                   faiss_writer=None, field_keys: list[list[str]] | None = None,  # type: ignore[no-untyped-def]
                   field_vectors: np.ndarray | None = None) -> str:
    """Write a new generation beside the live one, then swap CURRENT to it atomically; returns its name."""
    root.mkdir(parents=True, exist_ok=True)
    previous = current_name(root)
    number = int(previous.split("-")[1]) + 1 if previous else 1
    name = f"gen-{number:06d}"
    tmp = root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
    if field_vectors is not None:
        (tmp / "fields.json").write_text(json.dumps(field_keys or [], ensure_ascii=False))
        np.save(tmp / "fields.npy", np.ascontiguousarray(field_vectors, dtype=np.float32))
    if faiss_writer is not None:
        faiss_writer(tmp / "dense.faiss")
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    for f in tmp.iterdir():
        _fsync(f)
    os.replace(tmp, root / name)
    pointer = root / ".CURRENT.tmp"
    pointer.write_text(name + "\n")
    _fsync(pointer)
    os.replace(pointer, root / "CURRENT")
    _prune(root, keep=name)
    return name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(root: Path, keep: str) -> None:
    gens = sorted(p for p in root.glob("gen-*") if p.is_dir() and p.name != keep)
    for old in gens[:-(KEEP_GENERATIONS - 1)] if KEEP_GENERATIONS > 1 else gens:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """Exclusive writer lock for the index directory (other processes' writers wait; readers do not)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "write.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)

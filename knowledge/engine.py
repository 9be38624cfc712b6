"""One index directory in memory: loads the live generation, reloads when another process swaps it, writes
new generations for add / update / delete without re-embedding unchanged chunks."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import config
from knowledge.chunking import chunk_document
from knowledge.embcache import EmbeddingCache, embed_passages
from knowledge.loaders import Document
from knowledge.store import IndexMissingError, Snapshot, read_snapshot, write_lock, write_snapshot


class Engine:
    """Index state for one directory; `index()` is cheap when nothing changed on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._name: str | None = None
        self._index = None
        self._snapshot: Snapshot | None = None
        self.timings: dict[str, float] = {}

    # ---- reading -------------------------------------------------------------------------------------------
    def _pointer_name(self) -> str | None:
        try:
            return (self.root / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def snapshot(self) -> Snapshot:
        self.index()
        assert self._snapshot is not None
        return self._snapshot

    def index(self):  # type: ignore[no-untyped-def]
        """The HybridIndex of the live generation (reloaded if CURRENT moved)."""
        name = self._pointer_name()
        if name is None:
            raise IndexMissingError(f"index_dir: no index in {self.root} (run `python -m knowledge ensure`)")
        with self._lock:
            if name != self._name or self._index is None:
                from knowledge.index import HybridIndex, load_faiss

                snap = read_snapshot(self.root)
                fx = load_faiss(snap.faiss_path) if snap.faiss_path else None
                index = HybridIndex(snap.records, snap.vectors, fx, snap.field_vectors, snap.field_keys)
                self._index, self._snapshot, self._name = index, snap, snap.name
            return self._index

    def model_name(self) -> str:
        try:
            return self.snapshot().meta["model"]
        except IndexMissingError:
            return config.model_name()

    # ---- writing -------------------------------------------------------------------------------------------
    def apply(self, add: list[Document], delete: set[str] = frozenset(), origin: str = "runtime",  # type: ignore[assignment]
              extra_meta: dict | None = None, model: str | None = None, progress: bool = False,
              reset: bool = False) -> dict:
        """Add/replace `add`, remove `delete` (doc ids), write a new generation and swap it in; returns counts."""
        from knowledge.embed import load_embedder
        from knowledge.index import save_faiss

        with write_lock(self.root), self._lock:
            try:
                snap = None if reset else read_snapshot(self.root)
            except IndexMissingError:
                snap = None
            meta = dict(snap.meta) if snap else {"docs": {}, "runtime": {}, "next_vid": 0}
            model = model or (meta.get("model_key") if snap else None) or config.model_name()
            embedder = load_embedder(model)
            if snap and meta.get("model_key") not in (None, model):
                raise ValueError(f"model: index built with {meta.get('model')!r}; rebuild to change it")
            meta["model"], meta["model_key"], meta["dim"] = embedder.name, model, embedder.dim
            gone = set(delete) | {d.doc_id for d in add}
            old_records = snap.records if snap else []
            keep = [i for i, r in enumerate(old_records) if r["doc_id"] not in gone]
            removed = np.array([r["vid"] for r in old_records if r["doc_id"] in gone], dtype=np.int64)
            t0 = time.perf_counter()
            new_records = chunk_records(add)
            t1 = time.perf_counter()
            cache = EmbeddingCache(self.root / "embcache.sqlite")
            texts = [f"{r['title']}\n{r['text']}" for r in new_records]
            vecs, embedded = embed_passages(embedder, texts, [r["hash"] for r in new_records], cache,
                                            progress=progress)
            new_keys, new_ftexts = field_texts(add)
            fvecs, f_embedded = embed_passages(embedder, new_ftexts, [field_hash(k, s) for k, s in
                                                                      zip(new_keys, new_ftexts, strict=True)], cache)
            cache.close()
            t2 = time.perf_counter()
            records, vectors, fx = self._merge(snap, meta, keep, removed, new_records, vecs, embedder.dim)
            field_keys, field_vectors = merge_fields(snap, gone, new_keys, fvecs, embedder.dim)
            record_documents(meta, gone, add, origin, extra_meta)
            from knowledge.index import EXACT_LIMIT, HybridIndex

            writer = (lambda p: save_faiss(fx, p)) if len(records) > EXACT_LIMIT else None
            name = write_snapshot(self.root, records, vectors, meta, writer, field_keys, field_vectors)
            self._index = HybridIndex(records, vectors, fx, field_vectors, field_keys)
            self._snapshot = Snapshot(name, records, vectors, meta, None, field_keys, field_vectors)
            self._name = name
            t3 = time.perf_counter()
            self.timings = {"chunk_s": t1 - t0, "embed_s": t2 - t1, "index_s": t3 - t2}
            old_ids = {r["doc_id"] for r in old_records}
            added_ids = {d.doc_id for d in add}
            return {"added_docs": len(add), "replaced_docs": len(added_ids & old_ids),
                    "deleted_docs": len((set(delete) - added_ids) & old_ids),
                    "new_chunks": len(new_records), "embedded": embedded + f_embedded, "chunks": len(records),
                    "generation": name}

    def _merge(self, snap: Snapshot | None, meta: dict, keep: list[int], removed: np.ndarray,
               new_records: list[dict], vecs: np.ndarray, dim: int) -> tuple[list[dict], np.ndarray, Any]:
        """Kept and new records with fresh vector ids, their vectors, and the FAISS index (updated in place
        when the loaded generation is the one on disk, else built anew)."""
        from knowledge.index import build_faiss, update_faiss

        old_records = snap.records if snap else []
        next_vid = int(meta.get("next_vid", 0))
        for rec in new_records:
            rec["vid"], next_vid = next_vid, next_vid + 1
        meta["next_vid"] = next_vid
        records = [old_records[i] for i in keep] + new_records
        old_vecs = snap.vectors[keep] if snap and keep else np.zeros((0, dim), np.float32)
        vectors = np.vstack([old_vecs, vecs]) if len(new_records) else old_vecs
        vids = np.array([r["vid"] for r in records], dtype=np.int64)
        old_index = self._index if (snap and self._name == snap.name) else None
        if old_index is None:
            return records, vectors, build_faiss(vectors, vids)
        added_rows = np.arange(len(keep), len(records))
        return records, vectors, update_faiss(old_index.faiss, vectors, vids, removed, added_rows)


def chunk_records(docs: list[Document]) -> list[dict]:
    """The index records of `docs`: one per chunk, with its metadata and body BM25 tokens (no vector or id
    yet); a document's first chunk also carries the BM25 tokens of its title, headings and summary."""
    from knowledge.fields import LEXICAL_FIELDS, document_fields
    from knowledge.tokens import tokenize

    out = []
    for doc in docs:
        ftokens = {f: tokenize(text) for f, text in document_fields(doc).items() if f in LEXICAL_FIELDS}
        for ch in chunk_document(doc):
            rec = {"chunk_id": ch.chunk_id, "doc_id": doc.doc_id, "seq": ch.seq, "text": ch.text,
                   "title": doc.title, "type": doc.type, "date": doc.date, "audience": doc.audience,
                   "tags": list(doc.tags), "source": doc.source, "hash": ch.content_hash,
                   "tokens": tokenize(ch.text)}
            if ch.seq == 0:
                rec["ftokens"] = ftokens
            out.append(rec)
    return out


def field_texts(docs: list[Document]) -> tuple[list[list[str]], list[str]]:
    """([doc_id, field] keys, texts) of the non-empty document fields of `docs` and of their sentences."""
    from knowledge.fields import SENTENCE, document_fields, document_sentences

    keys, texts = [], []
    for doc in docs:
        for f, text in document_fields(doc).items():
            if text:
                keys.append([doc.doc_id, f])
                texts.append(text)
        for sentence in document_sentences(doc):
            keys.append([doc.doc_id, SENTENCE])
            texts.append(sentence)
    return keys, texts


def field_hash(key: list[str], text: str) -> str:
    """Embedding-cache key of one field or sentence text: every field is embedded as a passage, so equal texts
    share a vector (a one-chunk document's `doc` field is its chunk, a one-sentence summary its sentence)."""
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def merge_fields(snap: Snapshot | None, gone: set[str], keys: list[list[str]], vecs: np.ndarray,
                 dim: int) -> tuple[list[list[str]], np.ndarray]:
    """The field keys and vectors of the new generation: the old ones of kept documents, then the new ones."""
    old_keys = snap.field_keys if snap else []
    old_vecs = snap.field_vectors if snap is not None and snap.field_vectors is not None else np.zeros((0, dim))
    keep = [i for i, k in enumerate(old_keys) if k[0] not in gone]
    merged = [old_keys[i] for i in keep] + keys
    vectors = np.vstack([old_vecs[keep].reshape(len(keep), dim), vecs.reshape(len(keys), dim)])
    return merged, vectors.astype(np.float32)


def record_documents(meta: dict, gone: set[str], added: list[Document], origin: str,
                     extra_meta: dict | None) -> None:
    """Update the index metadata in place: drop `gone`, list `added` with their origin and hash (runtime
    documents whole, so a rebuild keeps them), merge `extra_meta` and stamp the build time."""
    for doc_id in gone:
        meta["docs"].pop(doc_id, None)
        meta["runtime"].pop(doc_id, None)
    for doc in added:
        meta["docs"][doc.doc_id] = {"origin": origin, "hash": doc_hash(doc)}
        if origin == "runtime":
            meta["runtime"][doc.doc_id] = asdict(doc)
    meta.update(extra_meta or {})
    meta["built_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def doc_hash(doc: Document) -> str:
    """Content hash of a document's indexed fields (decides whether `ensure` must re-index it)."""
    import hashlib
    import json

    payload = json.dumps([doc.title, doc.body, doc.type, doc.date, doc.audience, list(doc.tags), list(doc.headings),
                          doc.summary], ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


_ENGINES: dict[Path, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(index_dir: str | Path | None = None) -> Engine:
    """The process-wide Engine for an index directory."""
    root = config.index_dir(index_dir).resolve()
    with _ENGINES_LOCK:
        if root not in _ENGINES:
            _ENGINES[root] = Engine(root)
        return _ENGINES[root]

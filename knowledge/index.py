"""In-memory field-aware index over one snapshot: FAISS over chunk vectors and over document-field vectors,
BM25 over chunk bodies and over each document field (title, headings, summary).

Dense search is exact (`IndexFlatIP`) up to `EXACT_LIMIT` vectors and IVF (`IndexIVFFlat`, nprobe 16) beyond.
An instance is immutable once built: writers build a new one and swap the reference, so concurrent readers
always see one consistent index. Ranking (features, fusion, re-ranking) lives in `features.py`/`ranking.py`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from knowledge.fields import DOC_FIELDS, LEXICAL_FIELDS, SENTENCE

EXACT_LIMIT = 50_000
RECENCY_WEIGHT = 0.02  # fresh news gets up to this much extra score on questions about "now"
QUIET_RECENCY_WEIGHT = 0.001  # otherwise only a tie-break between news items
RECENCY_HALF_LIFE_DAYS = 30.0


class FilterError(ValueError):
    """A search filter is not understood; the message names the filter key."""


@dataclass(frozen=True)
class Hit:
    """One ranked document: its best chunk row, the mode's score and the component scores (dense cosine of
    the best field, raw BM25F)."""

    row: int
    score: float
    dense: float
    lexical: float


def build_faiss(vectors: np.ndarray, ids: np.ndarray):  # type: ignore[no-untyped-def]
    """Exact inner-product index for small sets, IVF for large ones; ids are stable vector ids."""
    import faiss

    n, dim = vectors.shape
    if n <= EXACT_LIMIT:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = int(4 * math.sqrt(n))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
        index.train(sample)
        index.nprobe = 16
    if n:
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    return index


def update_faiss(old, vectors: np.ndarray, ids: np.ndarray, removed: np.ndarray, added_rows: np.ndarray):  # type: ignore[no-untyped-def]
    """A copy of `old` with `removed` vids deleted and `added_rows` of `vectors` added (no retraining)."""
    import faiss

    if old is None or vectors.shape[0] <= EXACT_LIMIT or isinstance(old, faiss.IndexIDMap2):
        return build_faiss(vectors, ids)
    index = faiss.clone_index(old)
    if removed.size:
        index.remove_ids(removed.astype(np.int64))
    if added_rows.size:
        index.add_with_ids(vectors[added_rows], ids[added_rows].astype(np.int64))
    index.nprobe = getattr(old, "nprobe", 16)
    return index


def _bm25(corpus: list[list[str]]):  # type: ignore[no-untyped-def]
    import bm25s

    model = bm25s.BM25()
    model.index([toks or ["\u0000"] for toks in corpus], show_progress=False)
    return model


class HybridIndex:
    """Chunk records aligned with `vectors`, plus document-field vectors keyed by (doc_id, field).

    Records carry `doc_id`, `tokens` (body BM25 tokens) and optionally `ftokens` ({field: tokens} for the
    document fields, read from the document's first chunk).
    """

    def __init__(self, records: list[dict], vectors: np.ndarray, faiss_index=None,  # type: ignore[no-untyped-def]
                 field_vectors: np.ndarray | None = None, field_keys: list[list[str]] | None = None) -> None:
        self.records = records
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.vids = np.array([r["vid"] for r in records], dtype=np.int64)
        self._row_of = {int(v): i for i, v in enumerate(self.vids)}
        self.faiss = faiss_index if faiss_index is not None else build_faiss(self.vectors, self.vids)
        self.types = np.array([r["type"] for r in records], dtype=object)
        self.audiences = np.array([r["audience"] for r in records], dtype=object)
        self.dates = np.array([r.get("date") or "" for r in records], dtype=object)
        # documents
        self.doc_ids: list[str] = []
        doc_of: dict[str, int] = {}
        row_doc = np.empty(len(records), dtype=np.int64)
        for i, r in enumerate(records):
            d = doc_of.get(r["doc_id"])
            if d is None:
                d = doc_of[r["doc_id"]] = len(self.doc_ids)
                self.doc_ids.append(r["doc_id"])
            row_doc[i] = d
        self.doc_of = doc_of
        self.row_doc = row_doc
        order = np.argsort(row_doc, kind="stable")
        bounds = np.searchsorted(row_doc[order], np.arange(len(self.doc_ids) + 1))
        self.doc_rows = [order[bounds[d]:bounds[d + 1]] for d in range(len(self.doc_ids))]
        # lexical
        self.bm25 = _bm25([r["tokens"] for r in records]) if records else None
        first = [records[rows[0]] for rows in self.doc_rows]
        self.field_bm25 = {}
        for f in LEXICAL_FIELDS:
            corpus = [(r.get("ftokens") or {}).get(f) or [] for r in first]
            if any(corpus):
                self.field_bm25[f] = _bm25(corpus)
        # dense document fields
        dim = self.vectors.shape[1] if self.vectors.ndim == 2 else 0
        self.field_vectors = np.ascontiguousarray(
            field_vectors if field_vectors is not None else np.zeros((0, dim)), dtype=np.float32)
        keys = field_keys or []
        sent = [i for i, (doc, f) in enumerate(keys) if doc in doc_of and f == SENTENCE]
        self.sentence_vectors = self.field_vectors[sent] if sent else np.zeros((0, dim), np.float32)
        sent_doc = np.array([doc_of[keys[i][0]] for i in sent], dtype=np.int64)
        order = np.argsort(sent_doc, kind="stable")
        bounds = np.searchsorted(sent_doc[order], np.arange(len(self.doc_ids) + 1))
        self.doc_sentences = [order[bounds[d]:bounds[d + 1]] for d in range(len(self.doc_ids))]
        keep = [i for i, (doc, f) in enumerate(keys) if doc in doc_of and f in DOC_FIELDS]
        self.field_vectors = self.field_vectors[keep] if len(keep) != len(keys) else self.field_vectors
        self.field_doc = np.array([doc_of[keys[i][0]] for i in keep], dtype=np.int64)
        self.field_kind = np.array([DOC_FIELDS.index(keys[i][1]) for i in keep], dtype=np.int64)
        self.field_faiss = build_faiss(self.field_vectors, np.arange(len(keep))) if keep else None
        self.doc_field_rows = np.full((len(self.doc_ids), len(DOC_FIELDS)), -1, dtype=np.int64)
        if keep:
            self.doc_field_rows[self.field_doc, self.field_kind] = np.arange(len(keep))

    def __len__(self) -> int:
        return len(self.records)

    def mask(self, filters: dict | None) -> np.ndarray | None:
        """Boolean row mask for `filters` (type, audience, date_from, date_to, tags, doc_id); None = all rows."""
        if not filters:
            return None
        m = np.ones(len(self.records), dtype=bool)
        for key, value in filters.items():
            if value in (None, "", [], ()):
                continue
            if key == "type":
                m &= np.isin(self.types, [value] if isinstance(value, str) else list(value))
            elif key == "audience":
                if value in ("client", "all"):  # only an advisor sees advisor-only material
                    m &= np.isin(self.audiences, ["client", "all"])
                elif value not in ("advisor", "all"):
                    raise FilterError(f"audience: {value!r} not in ('advisor', 'client', 'all')")
            elif key == "date_from":
                m &= np.array([d != "" and d >= str(value) for d in self.dates], dtype=bool)
            elif key == "date_to":
                m &= np.array([d != "" and d <= str(value) for d in self.dates], dtype=bool)
            elif key == "tags":
                wanted = {value} if isinstance(value, str) else set(value)
                m &= np.array([bool(wanted & set(r.get("tags", ()))) for r in self.records], dtype=bool)
            elif key == "doc_id":
                m &= np.array([r["doc_id"] == value for r in self.records], dtype=bool)
            elif key == "exclude_docs":
                m &= ~np.isin(np.array([r["doc_id"] for r in self.records], dtype=object), list(value))
            else:
                raise FilterError(f"{key}: unknown filter")
        return m

    # ---- primitive searches ----------------------------------------------------------------------------------
    def dense(self, qvec: np.ndarray, n: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """Top-n (row, cosine) of chunk vectors, honouring the mask."""
        if not self.records:
            return []
        if mask is not None:
            rows = np.flatnonzero(mask)
            if rows.size == 0:
                return []
            scores = self.vectors[rows] @ qvec
            top = np.argsort(-scores)[:n]
            return [(int(rows[i]), float(scores[i])) for i in top]
        scores, ids = self.faiss.search(qvec[None, :].astype(np.float32), min(n, len(self.records)))
        return [(self._row_of[int(v)], float(s)) for s, v in zip(scores[0], ids[0], strict=True) if v >= 0]

    def dense_fields(self, qvec: np.ndarray, n: int, doc_ok: np.ndarray | None) -> list[int]:
        """Documents whose title, headings or summary vector is among the top-n for `qvec` (doc indexes)."""
        if self.field_faiss is None:
            return []
        if doc_ok is not None:
            rows = np.flatnonzero(doc_ok[self.field_doc])
            scores = self.field_vectors[rows] @ qvec
            return [int(self.field_doc[rows[i]]) for i in np.argsort(-scores)[:n]]
        _, ids = self.field_faiss.search(qvec[None, :].astype(np.float32), min(n, len(self.field_doc)))
        return [int(self.field_doc[i]) for i in ids[0] if i >= 0]

    def lexical(self, tokens: list[str], n: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """Top-n (row, body BM25 score > 0), honouring the mask."""
        scores = self.body_scores(tokens)
        if scores is None:
            return []
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return top_positive(scores, n)

    def body_scores(self, tokens: list[str]) -> np.ndarray | None:
        """BM25 of every chunk body for `tokens` (None when there is nothing to score)."""
        if self.bm25 is None or not tokens:
            return None
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def field_scores(self, field: str, tokens: list[str]) -> np.ndarray | None:
        """BM25 of every document's `field` for `tokens` (None when the field is empty everywhere)."""
        model = self.field_bm25.get(field)
        if model is None or not tokens:
            return None
        return np.asarray(model.get_scores(tokens), dtype=np.float32)


def top_positive(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The n largest positive entries of `scores` as (position, score), best first.

    >>> top_positive(np.array([0.0, 2.0, 1.0, 3.0]), 2)
    [(3, 3.0), (1, 2.0)]
    """
    n = min(n, scores.size)
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def recency_bonus(date: str, today: dt.date, weight: float = RECENCY_WEIGHT) -> float:
    """A small bonus for recent news, halving every `RECENCY_HALF_LIFE_DAYS` days.

    >>> round(recency_bonus("2026-11-01", dt.date(2026, 12, 1), 0.002), 4)
    0.001
    """
    try:
        age = max(0, (today - dt.date.fromisoformat(date)).days)
    except ValueError:
        return 0.0
    return weight * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)


def save_faiss(index, path) -> None:  # type: ignore[no-untyped-def]
    """Write a FAISS index file."""
    import faiss

    faiss.write_index(index, str(path))


def load_faiss(path):  # type: ignore[no-untyped-def]
    """Read a FAISS index file."""
    import faiss

    return faiss.read_index(str(path))

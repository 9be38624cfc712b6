"""Public operations: search, answer, ingest and delete (contracts other packages rely on)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import config
from knowledge.engine import get_engine
from knowledge.loaders import Document, iter_files, load_file
from knowledge.query import Query

ANSWER_MAX_CHARS = 300


@dataclass(frozen=True)
class Passage:
    """A ranked passage with where it came from."""

    doc_id: str
    title: str
    type: str
    date: str
    audience: str
    tags: tuple[str, ...]
    score: float
    text: str
    source: str
    chunk_id: str = ""
    dense_score: float = 0.0
    lexical_score: float = 0.0

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Answer:
    """An extractive answer (≤ 300 chars) with up to three sources, or found=False and "没有找到相关内容"."""

    found: bool
    text: str
    sources: list[dict] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


def _hits(query: str, k: int, filters: dict | None, index_dir, mode: str = "rerank",  # type: ignore[no-untyped-def]
          today: dt.date | None = None) -> tuple[list[Passage], Query, bool]:
    """Ranked passages (one per document), the prepared query, and whether the top one clears the mode's
    not-found threshold."""
    import numpy as np

    from knowledge.embed import load_embedder
    from knowledge.features import TIMELY_TYPES, candidates
    from knowledge.index import QUIET_RECENCY_WEIGHT, RECENCY_WEIGHT, recency_bonus
    from knowledge.query import make_query
    from knowledge.ranking import MODES, bm25_score, confidence, dense_score, load_params, score

    if mode not in MODES:
        raise ValueError(f"mode: {mode!r} not in {MODES}")
    engine = get_engine(index_dir)
    index = engine.index()
    embedder = None if mode == "bm25" else load_embedder(engine.snapshot().meta["model_key"])
    q = make_query(query, embedder)
    params = load_params()
    cands = candidates(index, q, params.bm25, index.mask(filters))
    if not len(cands):
        return [], q, False
    scores = score(cands, mode, params)
    # Recency of news and team notes: a share of the score spread, larger for questions about the present.
    spread = float(scores.max() - scores.min()) or 1.0
    weight = (RECENCY_WEIGHT if q.temporal else QUIET_RECENCY_WEIGHT) * spread
    today = today or dt.date.today()
    ranked = scores + np.array([recency_bonus(index.dates[r], today, weight) if index.types[r] in TIMELY_TYPES else 0.0
                                for r in cands.best_rows])
    order = np.argsort(-ranked, kind="stable")
    found = confidence(cands, mode, params, order, len(q.tokens)) >= params.not_found.get(mode, float("-inf"))
    dense = dense_score(cands, params) if q.qvec is not None else np.zeros(len(cands))
    lexical = bm25_score(cands, params)
    out = []
    for i in order[:k]:
        r = index.records[int(cands.best_rows[i])]
        out.append(Passage(r["doc_id"], r["title"], r["type"], r.get("date", ""), r["audience"],
                           tuple(r.get("tags", ())), round(float(ranked[i]), 6), r["text"], r.get("source", ""),
                           r["chunk_id"], round(float(dense[i]), 6), round(float(lexical[i]), 6)))
    return out, q, found


def search(query: str, k: int = 5, filters: dict | None = None, index_dir: str | Path | None = None,
           mode: str = "rerank") -> list[Passage]:
    """Ranked passages (one per document) for `query`; filters: type, audience (advisor = everything, client or
    all = no advisor-only documents), date_from, date_to, tags (any of), doc_id. Modes: rerank (default: the
    thesaurus-expanded, field-aware candidates re-ranked), hybrid, dense, bm25."""
    if not query.strip():
        return []
    return _hits(query, k, filters, index_dir, mode)[0]


def answer(query: str, audience: str = "all", index_dir: str | Path | None = None) -> Answer:
    """Best sentences of the best passage (≤ 300 chars) with ≤ 3 sources, or an honest not-found.

    `audience` is who is asking: "advisor" sees everything, "client" and "all" (unknown / public) never see
    advisor-only documents.
    """
    from knowledge.chunking import split_sentences

    filters = {"audience": audience} if audience in ("client", "all") else None
    if audience not in ("all", "client", "advisor"):
        raise ValueError(f"audience: {audience!r} not in ('all', 'client', 'advisor')")
    from knowledge.features import coverage
    from knowledge.ranking import load_params

    if not query.strip():
        return Answer(False, config.NOT_FOUND, [], [])
    passages, q, found = _hits(query, 5, filters, index_dir)
    if not passages or not found:
        return Answer(False, config.NOT_FOUND, [], passages)
    best = passages[0]
    sentences = split_sentences(best.text)
    scored = sorted(range(len(sentences)), key=lambda i: (-coverage(q.tokens, sentences[i]), i))
    chosen: list[int] = []
    size = 0
    for i in scored:
        if size + len(sentences[i]) > ANSWER_MAX_CHARS:
            continue
        chosen.append(i)
        size += len(sentences[i])
    text = "".join(sentences[i] for i in sorted(chosen))
    label = "【演示内容】"
    if "演示内容" in best.title + best.text and "演示内容" not in text:  # demo news stays labelled as such
        text = label + text
    text = text[:ANSWER_MAX_CHARS]
    sources = []
    close = load_params().not_found.get("dense", 0.0)  # further sources must be as close as an answer would be
    for p in passages:
        if len(sources) == 3:
            break
        if p is best or p.dense_score >= close:
            sources.append({"doc_id": p.doc_id, "title": p.title, "date": p.date, "type": p.type})
    return Answer(True, text, sources, passages)


def find_document(doc_id: str, index_dir: str | Path | None = None) -> Passage | None:
    """The opening passage of document `doc_id` (its first chunk, with the document's title, type, date, audience,
    tags and source), or None when no such document is indexed. Reads the live index; loads no embedding model."""
    if not doc_id:
        return None
    records = [r for r in get_engine(index_dir).snapshot().records if r["doc_id"] == doc_id]
    if not records:
        return None
    r = min(records, key=lambda record: record.get("seq", 0))
    return Passage(r["doc_id"], r["title"], r["type"], r.get("date", ""), r["audience"], tuple(r.get("tags", ())),
                   0.0, r["text"], r.get("source", ""), r["chunk_id"])


def ingest_text(doc_id: str, title: str, body: str, type: str = "note", date: str | None = None,
                audience: str = "advisor", tags: list[str] | tuple[str, ...] = (),
                index_dir: str | Path | None = None) -> dict:
    """Index one run-time document (meeting note, experience post) so it is searchable at once."""
    doc = Document(doc_id, title, body, type, date or dt.date.today().isoformat(), audience, tuple(tags),
                   source=f"runtime:{doc_id}")
    return get_engine(index_dir).apply([doc], origin="runtime")


def ingest_paths(paths: list[str | Path], index_dir: str | Path | None = None, progress: bool = False) -> dict:
    """Load and index files or directories (Markdown, text, HTML, PDF); existing ids are replaced."""
    docs = [load_file(p) for p in iter_files(list(paths))]
    return get_engine(index_dir).apply(docs, origin="runtime", progress=progress)


def delete(doc_id: str, index_dir: str | Path | None = None) -> bool:
    """Remove a document from dense and lexical results; False if it was not indexed."""
    engine = get_engine(index_dir)
    return engine.apply([], {doc_id}, origin="runtime")["deleted_docs"] > 0


def stats(index_dir: str | Path | None = None) -> dict:
    """Counts by type and audience, model and generation of the live index."""
    snap = get_engine(index_dir).snapshot()
    by_type: dict[str, int] = {}
    docs: dict[str, str] = {}
    for r in snap.records:
        docs[r["doc_id"]] = r["type"]
    for t in docs.values():
        by_type[t] = by_type.get(t, 0) + 1
    return {"generation": snap.name, "model": snap.meta.get("model"), "documents": len(docs),
            "chunks": len(snap.records), "documents_by_type": by_type, "built_at": snap.meta.get("built_at"),
            "products_hash": snap.meta.get("products_hash")}

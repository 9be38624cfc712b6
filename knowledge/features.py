"""Candidate documents for a query and their ranking features.

Candidates are the union of the documents behind the top chunks by body BM25, by field-weighted BM25 (BM25F),
by dense chunk similarity and by dense field similarity (title, headings, summary). Each candidate gets one
row of `FEATURES`; the ranking modes in `ranking.py` are functions of these rows, so cross-validation can
re-rank stored feature rows without searching again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from knowledge.fields import DOC_FIELDS, LEXICAL_FIELDS
from knowledge.index import HybridIndex, recency_bonus
from knowledge.query import Query

TIMELY_TYPES = ("news", "note")
"""Document types about the present (dated, superseded by newer ones): the news features apply to them."""

FEATURES = (
    "dense_body", "dense_title", "dense_headings", "dense_summary", "dense_doc", "dense_prf",
    "dense_sentence", "dense_sentence2",
    "bm25_body", "bm25_title", "bm25_headings", "bm25_summary", "bm25_exp",
    "coverage", "title_coverage", "exp_coverage", "title_in_query", "exp_in_title",
    "is_news", "is_product", "is_advisor", "news_x_temporal", "product_x_asked", "advisor_x_asked",
    "news_recency",
)
F = {name: i for i, name in enumerate(FEATURES)}
CANDIDATES_PER_LIST = 30
PRF_DOCS = 3  # pseudo-relevance feedback: the query vector moves toward the mean of the top dense documents
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Candidates:
    """Candidate documents (index doc numbers), their best chunk rows and feature rows (`FEATURES` order).

    `raw` keeps the un-normalised BM25 components that the BM25F mode adds up with its field weights.
    """

    docs: np.ndarray
    best_rows: np.ndarray
    x: np.ndarray
    raw: dict[str, np.ndarray]

    def __len__(self) -> int:
        return int(self.docs.size)


def coverage(tokens: list[str], text: str) -> float:
    """Share of the distinct informative query tokens found in `text` (single Chinese characters ignored).

    >>> coverage(["货币", "基金", "安全", "吗"], "货币基金的风险")
    0.6667
    """
    toks = {t for t in tokens if len(t) > 1 or _HAN.match(t) is None}
    if not toks:
        return 0.0
    low = text.lower()
    return round(sum(t in low for t in toks) / len(toks), 4)


def title_tokens(index: HybridIndex, d: int) -> list[str]:
    """The title's BM25 tokens of document number `d` (empty when the index has no title field)."""
    first = index.records[index.doc_rows[d][0]]
    return [t for t in (first.get("ftokens") or {}).get("title", []) if len(t) > 1]


def _max_by_doc(scores: np.ndarray, docs: np.ndarray, index: HybridIndex) -> np.ndarray:
    return np.array([float(scores[index.doc_rows[d]].max()) for d in docs], dtype=np.float32)


def _prf(index: HybridIndex, qvec: np.ndarray, docs: np.ndarray, best_rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Cosine of each candidate's best chunk with the query moved to the mean of the top `PRF_DOCS` candidates
    (by their best dense field): a Rocchio step that pulls in documents like the ones dense search trusts."""
    best = x[:, [F["dense_body"], F["dense_doc"]]].max(axis=1)
    top = np.argsort(-best, kind="stable")[:PRF_DOCS]
    moved = qvec + index.vectors[best_rows[top]].mean(axis=0)
    moved /= max(float(np.linalg.norm(moved)), 1e-12)
    return index.vectors[best_rows] @ moved


def candidates(index: HybridIndex, query: Query, weights: dict[str, float], mask: np.ndarray | None = None,
               per_list: int = CANDIDATES_PER_LIST, today: dt.date | None = None) -> Candidates:
    """Candidate documents for `query` with their features; `weights` are the BM25F field weights
    (`title`, `headings`, `summary`, `exp`; the body weighs 1) used to pick lexical candidates; `today` dates
    the news (default: the real date)."""
    n_rows = len(index)
    empty = Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(FEATURES)), np.float32), {})
    if n_rows == 0:
        return empty
    doc_ok = None
    if mask is not None:
        doc_ok = np.zeros(len(index.doc_ids), dtype=bool)
        doc_ok[index.row_doc[mask]] = True
    # lexical: body per chunk, fields per document, expansion over body and title
    body = index.body_scores(query.tokens)
    body = body if body is not None else np.zeros(n_rows, np.float32)
    fields = {}
    for f in LEXICAL_FIELDS:
        s = index.field_scores(f, query.tokens)
        fields[f] = s if s is not None else np.zeros(len(index.doc_ids), np.float32)
    exp_body = index.body_scores(query.exp_tokens)
    exp_title = index.field_scores("title", query.exp_tokens)
    exp = np.zeros(n_rows, np.float32) if exp_body is None else exp_body
    if exp_title is not None:
        exp = exp + exp_title[index.row_doc]
    bm25f = body + sum(weights.get(f, 0.0) * fields[f][index.row_doc] for f in LEXICAL_FIELDS) \
        + weights.get("exp", 0.0) * exp
    if mask is not None:
        body, bm25f = np.where(mask, body, 0.0), np.where(mask, bm25f, 0.0)
    from knowledge.index import top_positive

    pool: dict[int, None] = {}
    for scores in (bm25f, body):
        for row, _ in top_positive(scores, per_list * 2):
            pool.setdefault(int(index.row_doc[row]))
            if len(pool) >= per_list * 2:
                break
    if query.qvec is not None:
        for row, _ in index.dense(query.qvec, per_list * 2, mask):
            pool.setdefault(int(index.row_doc[row]))
        for d in index.dense_fields(query.qvec, per_list, doc_ok):
            pool.setdefault(d)
    if doc_ok is not None:
        pool = {d: None for d in pool if doc_ok[d]}
    if not pool:
        return empty
    docs = np.fromiter(pool, dtype=np.int64)
    return _features(index, query, docs, body, fields, exp, bm25f, mask, today or dt.date.today())


def _features(index: HybridIndex, query: Query, docs: np.ndarray, body: np.ndarray, fields: dict[str, np.ndarray],
              exp: np.ndarray, bm25f: np.ndarray, mask: np.ndarray | None, today: dt.date) -> Candidates:
    x = np.zeros((docs.size, len(FEATURES)), np.float32)
    best_rows = np.zeros(docs.size, np.int64)
    has_vec = query.qvec is not None
    for i, d in enumerate(docs):
        rows = index.doc_rows[d]
        if mask is not None:
            rows = rows[mask[rows]]
        lex = body[rows]
        if has_vec:
            sims = index.vectors[rows] @ query.qvec
            x[i, F["dense_body"]] = sims.max()
            top_lex = lex.max()
            best = np.argmax(sims + (0.05 * lex / top_lex if top_lex > 0 else 0.0))
            for k, f in enumerate(DOC_FIELDS):
                fr = index.doc_field_rows[d, k]
                x[i, F[f"dense_{f}"]] = float(index.field_vectors[fr] @ query.qvec) if fr >= 0 else np.nan
            srows = index.doc_sentences[d]
            if srows.size:
                ss = np.sort(index.sentence_vectors[srows] @ query.qvec)
                x[i, F["dense_sentence"]], x[i, F["dense_sentence2"]] = ss[-1], ss[-2:].mean()
            else:
                x[i, F["dense_sentence"]] = x[i, F["dense_sentence2"]] = sims.max()
        else:
            best = int(np.argmax(lex))
        best_rows[i] = rows[best]
        rec = index.records[rows[best]]
        doc_text = rec["title"] + " " + " ".join(index.records[r]["text"] for r in rows)
        x[i, F["coverage"]] = coverage(query.tokens, doc_text)
        x[i, F["title_coverage"]] = coverage(query.tokens, rec["title"])
        x[i, F["exp_coverage"]] = coverage(query.expansion, doc_text) if query.expansion else 0.0
        x[i, F["title_in_query"]] = coverage(title_tokens(index, d), query.text + " ".join(query.expansion))
        x[i, F["exp_in_title"]] = coverage(query.expansion, rec["title"]) if query.expansion else 0.0
        # A team note (晨会纪要, run-time) is as time-bound as news: what is on now, for questions about the present.
        is_news, is_product = rec["type"] in TIMELY_TYPES, rec["type"] == "product"
        is_advisor = rec["audience"] == "advisor" or rec["type"] == "experience"
        x[i, F["is_news"]], x[i, F["is_product"]], x[i, F["is_advisor"]] = is_news, is_product, is_advisor
        x[i, F["news_x_temporal"]] = is_news and query.temporal
        if is_news and query.temporal:
            x[i, F["news_recency"]] = recency_bonus(rec.get("date") or "", today, 1.0)
        x[i, F["product_x_asked"]] = is_product and query.wants_product
        x[i, F["advisor_x_asked"]] = is_advisor and query.from_advisor
        x[i, F["bm25_body"]] = lex.max()
        x[i, F["bm25_exp"]] = exp[rows].max()
        for f in LEXICAL_FIELDS:
            x[i, F[f"bm25_{f}"]] = fields[f][d]
    raw = {"bm25f": _max_by_doc(bm25f, docs, index)}
    if has_vec:  # a missing field is as good as the body
        for f in DOC_FIELDS:
            col = x[:, F[f"dense_{f}"]]
            x[:, F[f"dense_{f}"]] = np.where(np.isnan(col), x[:, F["dense_body"]], col)
        x[:, F["dense_prf"]] = _prf(index, query.qvec, docs, best_rows, x)
    for name in ("bm25_body", "bm25_title", "bm25_headings", "bm25_summary", "bm25_exp"):
        raw[name] = x[:, F[name]].copy()
        top = x[:, F[name]].max()
        x[:, F[name]] = x[:, F[name]] / top if top > 0 else 0.0
    return Candidates(docs, best_rows, x, raw)

"""Benchmark knowledge/: quality per ranking mode (cross-validated development figures beside the held-out
figures), query latency per stage on the shipped index and on a 100,000-chunk synthetic index (query embedding
included), against a brute-force numpy dense search timed in the same run, and ingestion throughput.

Run from the repo root: `.venv/bin/python bench/bench_knowledge.py` (uses/updates var/knowledge/).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from knowledge.build import corpus_documents, ensure
from knowledge.engine import Engine, get_engine
from knowledge.evaluate import load_questions, print_table, run_eval
from knowledge.features import candidates
from knowledge.fields import DOC_FIELDS, SENTENCE
from knowledge.index import HybridIndex
from knowledge.query import make_query
from knowledge.ranking import load_params, score

SYNTH_N = 100_000
SENTENCES_PER_DOC = 4


def pct(xs: list[float]) -> tuple[float, float]:
    """p50 and p95 of durations given in seconds, in milliseconds."""
    a = np.array(xs) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def timed(fn: Callable[..., object], *args: object, **kw: object) -> float:
    """Wall time of one call `fn(*args, **kw)` in seconds."""
    t = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t


def brute_force(vectors: np.ndarray, q: np.ndarray, k: int = 50) -> np.ndarray:
    """Baseline: exact dense top-k with one numpy matmul and a partial sort."""
    s = vectors @ q
    top = np.argpartition(-s, k)[:k]
    return top[np.argsort(-s[top])]


def shipped_index() -> tuple[Engine, HybridIndex]:
    """Build or check the shipped index, print its size and the no-op `ensure` time, return engine and index."""
    t0 = time.perf_counter()
    ensure(progress=False)
    engine = get_engine()
    index = engine.index()
    print(f"shipped index: {len(index)} chunks, {len(index.doc_ids)} documents, built/checked in "
          f"{time.perf_counter() - t0:.1f} s; `ensure` with nothing changed: {timed(ensure) * 1000:.0f} ms")
    return engine, index


def quality_table() -> None:
    """Cross-validated development figures beside the held-out figures, per mode."""
    print("\n## Quality per mode\n")
    print_table(run_eval(None))


def stage_rows(name: str, index: HybridIndex, embedder, questions: list[str]) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Rows (index, stage, p50 ms, p95 ms) for each search stage on `index`, the baseline first."""
    params = load_params()
    today = dt.date(2026, 12, 1)
    plain = [make_query(q, None) for q in questions]
    qvecs = embedder.encode_queries(questions)
    queries = [type(p)(p.text, p.tokens, p.expansion, p.exp_tokens, v) for p, v in zip(plain, qvecs, strict=True)]
    cands = [candidates(index, q, params.bm25, today=today) for q in queries]

    def bm25(i: int) -> None:
        q = queries[i]
        index.body_scores(q.tokens)
        for f in index.field_bm25:
            index.field_scores(f, q.tokens)
        index.body_scores(q.exp_tokens)
        index.field_scores("title", q.exp_tokens)

    def dense(i: int) -> None:
        index.dense(qvecs[i], 60, None)
        index.dense_fields(qvecs[i], 30, None)

    def search(i: int) -> None:
        q = make_query(questions[i], embedder)
        score(candidates(index, q, params.bm25, today=today), "rerank", params)

    stages = [
        ("baseline: numpy brute-force dense top-50", lambda i: brute_force(index.vectors, qvecs[i])),
        ("query embedding (e5, 1 call)", lambda i: embedder.encode_queries([questions[i]])),
        ("tokenize + thesaurus expansion", lambda i: make_query(questions[i], None)),
        ("BM25: body + 3 fields + expansion", bm25),
        ("dense: chunks + document fields (faiss)", dense),
        ("candidates + features (incl. BM25, dense)", lambda i: candidates(index, queries[i], params.bm25,
                                                                           today=today)),
        ("fusion: hybrid score", lambda i: score(cands[i], "hybrid", params)),
        ("re-rank score", lambda i: score(cands[i], "rerank", params)),
        ("search total (embedding included)", search),
    ]
    rows = []
    for label, fn in stages:
        for i in range(3):
            fn(i)
        rows.append((name, label, *pct([timed(fn, i) for i in range(len(questions))])))
    return rows


def synthetic_index(index: HybridIndex) -> tuple[HybridIndex, float]:
    """A SYNTH_N-chunk index of noisy copies of the shipped chunks (three chunks a document), with document
    fields and sentence vectors copied the same way; returns it and its build seconds."""
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(index), SYNTH_N)

    def noisy(rows: np.ndarray) -> np.ndarray:
        v = rows + rng.normal(0, 0.03, rows.shape).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    vecs = noisy(index.vectors[pick])
    types = ["training", "news", "product", "note", "experience"]
    records, keys, fvecs = [], [], []
    for i, j in enumerate(pick):
        src = index.records[j]
        toks = src["tokens"]
        keep = rng.random(len(toks)) < 0.7
        doc_id = f"s{i // 3}"
        rec = {"vid": i, "doc_id": doc_id, "type": types[i % 5], "audience": "all", "title": src["title"],
               "text": src["text"], "date": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}", "tags": [],
               "tokens": [t for t, k in zip(toks, keep, strict=True) if k] or toks[:1]}
        if i % 3 == 0:
            first = index.records[index.doc_rows[index.row_doc[j]][0]]
            rec["ftokens"] = first.get("ftokens", {})
            d = index.row_doc[j]
            for k, f in enumerate(DOC_FIELDS):
                if index.doc_field_rows[d, k] >= 0:
                    keys.append([doc_id, f])
                    fvecs.append(index.field_vectors[index.doc_field_rows[d, k]])
            for s in index.doc_sentences[d][:SENTENCES_PER_DOC]:
                keys.append([doc_id, SENTENCE])
                fvecs.append(index.sentence_vectors[s])
        records.append(rec)
    t = time.perf_counter()
    synth = HybridIndex(records, vecs, None, noisy(np.array(fvecs)), keys)
    return synth, time.perf_counter() - t


def dense_overlap(index: HybridIndex, qvecs: np.ndarray) -> float:
    """Mean top-10 overlap between the index's faiss dense search and exact brute-force search."""
    exact = [set(brute_force(index.vectors, q, 10).tolist()) for q in qvecs]
    approx = [{r for r, _ in index.dense(q, 10, None)} for q in qvecs]
    return float(np.mean([len(a & e) / 10 for a, e in zip(approx, exact, strict=True)]))


def latency_section(engine: Engine, index: HybridIndex) -> None:
    """Time each search stage on the shipped and the synthetic index and print one table."""
    from knowledge.embed import load_embedder

    embedder = load_embedder(engine.snapshot().meta["model_key"])
    questions = [q["q"] for q in load_questions()["questions"]][:120]
    rows = stage_rows(f"shipped ({len(index)})", index, embedder, questions)
    synth, build_s = synthetic_index(index)
    rows += stage_rows(f"synthetic ({SYNTH_N:,})", synth, embedder, questions)
    overlap = dense_overlap(synth, embedder.encode_queries(questions[:50]))
    print(f"\n## Query latency per stage ({len(questions)} development questions, ms)\n")
    print("| index | stage | p50 | p95 | p50 vs baseline |\n|---|---|---|---|---|")
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name]
        base = mine[0][2]
        for _, label, p50, p95 in mine:
            print(f"| {name} | {label} | {p50:.2f} | {p95:.2f} | {p50 / base:.2f}x |")
    print(f"\nsynthetic index: {len(synth.doc_ids):,} documents, {len(synth.field_doc):,} field and "
          f"{len(synth.sentence_vectors):,} sentence vectors; chunk IVF nlist {synth.faiss.nlist}, nprobe "
          f"{synth.faiss.nprobe}; built in {build_s:.1f} s incl. BM25; dense top-10 overlap with exact search "
          f"{overlap:.3f}. Stages overlap: candidates + features contains BM25 and dense; the total is one "
          "`search` call as the API runs it.")


def ingestion_table(engine: Engine) -> None:
    """Ingest a third of the corpus into a fresh index with a cold embedding cache; print seconds per stage."""
    docs = corpus_documents()[::3]
    with tempfile.TemporaryDirectory() as tmp:
        eng = Engine(Path(tmp))
        res = eng.apply(docs, origin="corpus", model=engine.snapshot().meta["model_key"])
        tm = eng.timings
        n = res["new_chunks"]
        t = time.perf_counter()
        eng.apply(docs, origin="corpus")  # same content again: every vector comes from the cache
        cached_s = time.perf_counter() - t
    print(f"\n## Ingestion ({len(docs)} documents, {n} chunks, {res['embedded']} vectors incl. fields and "
          "sentences, cold embedding cache)\n")
    print("| stage | seconds | chunks/s |\n|---|---|---|")
    stages = (("chunking + tokenizing", "chunk_s"), ("embedding (chunks, fields, sentences)", "embed_s"),
              ("indexing + atomic write", "index_s"))
    for stage, key in stages:
        print(f"| {stage} | {tm[key]:.3f} | {n / max(tm[key], 1e-9):,.0f} |")
    total = sum(tm.values())
    print(f"| total | {total:.3f} | {n / total:,.0f} |")
    print(f"| re-ingest, all cached | {cached_s:.3f} | {n / cached_s:,.0f} |")


def main() -> None:
    """Run the quality, latency and ingestion benchmarks in that order."""
    engine, index = shipped_index()
    quality_table()
    latency_section(engine, index)
    ingestion_table(engine)


if __name__ == "__main__":
    main()

"""Benchmark knowledge/: eval recall of the three modes, query latency (shipped corpus and a 100,000-chunk
synthetic index) against a brute-force numpy baseline, and ingestion throughput split by stage.

Run from the repo root: `.venv/bin/python bench/bench_knowledge.py` (uses/updates var/knowledge/).
"""

from __future__ import annotations

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
from knowledge.evaluate import load_questions, run_eval
from knowledge.index import HybridIndex
from knowledge.tokens import tokenize

SYNTH_N = 100_000


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


def latency_table(name: str, index: HybridIndex, qvecs: np.ndarray, qtoks: list[list[str]]) -> list[tuple]:
    """Rows (index name, operation, p50 ms, p95 ms) for the baseline and each search operation on `index`."""
    rows = []
    for label, fn in [
        ("numpy brute-force dense (baseline)", lambda i: brute_force(index.vectors, qvecs[i])),
        ("faiss dense", lambda i: index.dense(qvecs[i], 50, None)),
        ("bm25 (jieba tokens)", lambda i: index.lexical(qtoks[i], 50, None)),
        ("hybrid: dense + bm25 + RRF", lambda i: index.search(qvecs[i], qtoks[i], k=5)),
        ("hybrid with type filter", lambda i: index.search(qvecs[i], qtoks[i], k=5, filters={"type": "training"})),
    ]:
        for i in range(3):
            fn(i)
        times = [timed(fn, i) for i in range(len(qvecs))]
        rows.append((name, label, *pct(times)))
    return rows


def shipped_index() -> tuple[Engine, HybridIndex]:
    """Build or check the shipped index, print its size and the no-op `ensure` time, return engine and index."""
    t0 = time.perf_counter()
    ensure(progress=False)
    engine = get_engine()
    index = engine.index()
    print(f"shipped index: {len(index)} chunks, built/checked in {time.perf_counter() - t0:.1f} s; "
          f"`ensure` with nothing changed: {timed(ensure) * 1000:.0f} ms")
    return engine, index


def eval_table() -> None:
    """Print recall@1/5/10 and MRR of the three modes on the eval set, plus answer() found/not-found rates."""
    res = run_eval(None)
    print(f"\n## Eval set ({res['n']} questions)\n")
    print("| mode | recall@1 | recall@5 | recall@10 | MRR |\n|---|---|---|---|---|")
    for mode, m in res["modes"].items():
        print(f"| {mode} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | {m['mrr']:.3f} |")
    print(f"\nanswer(): found {res['answered']:.3f} of answerable; not-found {res['offtopic_not_found']:.3f} "
          f"of {res['offtopic_n']} off-topic")


def synthetic_index(index: HybridIndex) -> tuple[HybridIndex, float]:
    """Build a SYNTH_N-chunk index from noisy copies of the shipped chunks; return it and its build seconds."""
    rng = np.random.default_rng(0)
    base = index.vectors
    pick = rng.integers(0, len(base), SYNTH_N)
    noise = rng.normal(0, 0.03, (SYNTH_N, base.shape[1])).astype(np.float32)
    vecs = base[pick] + noise
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    types = ["training", "news", "product", "note", "experience"]
    records = []
    for i, j in enumerate(pick):
        toks = index.records[j]["tokens"]
        keep = rng.random(len(toks)) < 0.7
        records.append({"vid": i, "doc_id": f"s{i // 3}", "type": types[i % 5], "audience": "all",
                        "date": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}", "tags": [],
                        "tokens": [t for t, k in zip(toks, keep, strict=True) if k] or toks[:1]})
    t = time.perf_counter()
    synth = HybridIndex(records, vecs)
    return synth, time.perf_counter() - t


def dense_overlap(index: HybridIndex, qvecs: np.ndarray) -> float:
    """Mean top-10 overlap between the index's faiss dense search and exact brute-force search."""
    exact = [set(brute_force(index.vectors, q, 10).tolist()) for q in qvecs]
    approx = [{r for r, _ in index.dense(q, 10, None)} for q in qvecs]
    return float(np.mean([len(a & e) / 10 for a, e in zip(approx, exact, strict=True)]))


def print_latency_rows(rows: list[tuple]) -> None:
    """Print the query latency table, each index's rows relative to its first (baseline) row."""
    print("\n## Query latency (ms; query embedding excluded, reported below)\n")
    print("| index | operation | p50 | p95 | vs baseline p50 |\n|---|---|---|---|---|")
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name]
        base_p50 = mine[0][2]
        for _, label, p50, p95 in mine:
            print(f"| {name} | {label} | {p50:.2f} | {p95:.2f} | {p50 / base_p50:.2f}x |")


def latency_section(engine: Engine, index: HybridIndex) -> None:
    """Time queries on the shipped and synthetic indexes and print the latency table and its footnotes."""
    from knowledge.embed import load_embedder

    embedder = load_embedder(engine.snapshot().meta["model_key"])
    questions = [q["q"] for q in load_questions()["questions"]]
    embed_times = [timed(embedder.encode_queries, [q]) for q in questions[:50]]
    qvecs = embedder.encode_queries(questions)
    qtoks = [tokenize(q) for q in questions]
    tok_times = [timed(tokenize, q) for q in questions]
    rows = latency_table(f"shipped ({len(index)})", index, qvecs, qtoks)
    synth, build_s = synthetic_index(index)
    rows += latency_table(f"synthetic ({SYNTH_N:,})", synth, qvecs, qtoks)
    overlap = dense_overlap(synth, qvecs)

    print_latency_rows(rows)
    e50, e95 = pct(embed_times)
    t50, _ = pct(tok_times)
    print(f"\nquery embedding ({embedder.name}): p50 {e50:.1f} ms, p95 {e95:.1f} ms; jieba tokenizing p50 {t50:.2f} ms")
    print(f"synthetic index: IVF (nlist {synth.faiss.nlist}, nprobe {synth.faiss.nprobe}) build {build_s:.1f} s "
          f"incl. BM25; dense top-10 overlap with exact search {overlap:.3f}")


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
    print(f"\n## Ingestion ({len(docs)} documents, {n} chunks, cold embedding cache)\n")
    print("| stage | seconds | chunks/s |\n|---|---|---|")
    stages = (("chunking + tokenizing", "chunk_s"), ("embedding", "embed_s"), ("indexing + atomic write", "index_s"))
    for stage, key in stages:
        print(f"| {stage} | {tm[key]:.3f} | {n / max(tm[key], 1e-9):,.0f} |")
    total = sum(tm.values())
    print(f"| total | {total:.3f} | {n / total:,.0f} |")
    print(f"| re-ingest, all cached | {cached_s:.3f} | {n / cached_s:,.0f} |")


def main() -> None:
    """Run the eval, query latency and ingestion benchmarks in that order."""
    engine, index = shipped_index()
    eval_table()  # 1. Recall of the three modes.
    latency_section(engine, index)  # 2. Query latency.
    ingestion_table(engine)  # 3. Ingestion throughput, split by stage (fresh index and empty embedding cache).


if __name__ == "__main__":
    main()

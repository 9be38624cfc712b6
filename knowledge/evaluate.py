"""Retrieval evaluation on `eval/questions.yml`: recall@1/5/10 and MRR for bm25, dense and hybrid, plus the
answer/not-found behaviour on off-topic questions."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge import config

MODES = ("bm25", "dense", "hybrid")


def load_questions(path: str | Path | None = None) -> dict:
    """The question file as {'questions': [{q, relevant}], 'unanswerable': [str]}."""
    return yaml.safe_load(Path(path or config.EVAL_FILE).read_text(encoding="utf-8"))


def metrics(ranked: list[list[str]], relevant: list[list[str]]) -> dict[str, float]:
    """recall@1/5/10 (a hit if any relevant id is in the top k) and MRR over queries.

    >>> metrics([["a", "b"], ["c", "d"]], [["b"], ["x"]])
    {'recall@1': 0.0, 'recall@5': 0.5, 'recall@10': 0.5, 'mrr': 0.25}
    """
    out = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr": 0.0}
    for ids, rel in zip(ranked, relevant, strict=True):
        ranks = [i for i, d in enumerate(ids) if d in set(rel)]
        first = ranks[0] if ranks else None
        for k in (1, 5, 10):
            out[f"recall@{k}"] += first is not None and first < k
        out["mrr"] += 1.0 / (first + 1) if first is not None else 0.0
    n = max(1, len(ranked))
    return {k: round(v / n, 4) for k, v in out.items()}


def run_eval(index_dir: str | Path | None = None, questions: str | Path | None = None,
             modes: tuple[str, ...] = MODES) -> dict:
    """Metrics per mode, and answer() behaviour: found on answerable, not-found on off-topic questions."""
    from knowledge.api import answer, search

    data = load_questions(questions)
    qs = data["questions"]
    rel = [q["relevant"] for q in qs]
    result: dict = {"n": len(qs), "modes": {}}
    for mode in modes:
        ranked = [[p.doc_id for p in search(q["q"], 10, None, index_dir, mode)] for q in qs]
        result["modes"][mode] = metrics(ranked, rel)
    found = [answer(q["q"], "advisor", index_dir) for q in qs]
    result["answered"] = round(sum(a.found for a in found) / len(qs), 4)
    result["answered_correct_source"] = round(sum(
        a.found and bool({s["doc_id"] for s in a.sources} & set(r)) for a, r in zip(found, rel, strict=True)) / len(qs), 4)
    off = data.get("unanswerable", [])
    result["offtopic_n"] = len(off)
    result["offtopic_not_found"] = round(sum(not answer(q, "advisor", index_dir).found for q in off) / max(1, len(off)), 4)
    return result


def print_table(result: dict) -> None:
    """Print the eval result as a Markdown table."""
    print(f"eval set: {result['n']} questions")
    print("| mode | recall@1 | recall@5 | recall@10 | MRR |")
    print("|---|---|---|---|---|")
    for mode, m in result["modes"].items():
        print(f"| {mode} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | {m['mrr']:.3f} |")
    if "answered" in result:
        print(f"answer(): found on answerable {result['answered']:.3f} "
              f"(with a relevant source {result['answered_correct_source']:.3f}); "
              f"没有找到相关内容 on {result['offtopic_n']} off-topic questions {result['offtopic_not_found']:.3f}")


def compare_models(models: list[str], work_dir: str | Path | None = None, questions: str | Path | None = None) -> dict:
    """Build one index per embedding model (embeddings cached under `work_dir`) and measure each mode."""
    import time

    from knowledge.build import ensure

    root = Path(work_dir or config.ROOT / "var" / "knowledge-eval")
    out = {}
    for model in models:
        index_dir = root / model.replace("/", "_")
        t0 = time.perf_counter()
        ensure(index_dir, model=model)
        built = time.perf_counter() - t0
        res = run_eval(index_dir, questions, modes=("dense", "hybrid"))
        out[model] = {"dense": res["modes"]["dense"], "hybrid": res["modes"]["hybrid"], "build_s": round(built, 1)}
    return out


def print_comparison(result: dict) -> None:
    """Print the model comparison as a Markdown table."""
    print("| model | dense R@1 | dense R@5 | dense R@10 | dense MRR | hybrid R@5 | hybrid MRR | build s |")
    print("|---|---|---|---|---|---|---|---|")
    for model, r in result.items():
        d, h = r["dense"], r["hybrid"]
        print(f"| {model} | {d['recall@1']:.3f} | {d['recall@5']:.3f} | {d['recall@10']:.3f} | {d['mrr']:.3f} | "
              f"{h['recall@5']:.3f} | {h['mrr']:.3f} | {r['build_s']} |")

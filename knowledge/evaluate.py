"""Retrieval evaluation: cross-validated figures on the development questions beside the held-out figures.

Development questions (`eval/questions.yml`) are the only ones anything is tuned on; the held-out questions
(`tests/eval/knowledge_heldout.yml`, written blind from document titles) and the near-topic distractor
documents (`tests/eval/knowledge_distractors/`) are only measured. Both sets are searched in an evaluation copy
of the index with the distractors added; the product index never contains them. In cross-validation the
fitting folds never see a distractor as a candidate either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import yaml

from knowledge import config
from knowledge.ranking import MODES, Params, load_params

HELDOUT_FILE = config.ROOT / "tests" / "eval" / "knowledge_heldout.yml"
DISTRACTOR_DIR = config.ROOT / "tests" / "eval" / "knowledge_distractors"
DEV_DISTRACTOR_DIR = config.EVAL_FILE.parent / "distractors"  # written for development, tuned against


def load_questions(path: str | Path | None = None) -> dict:
    """A question file as {'questions': [{q, relevant}], 'unanswerable': [str]}."""
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


def question_groups(data: dict) -> list[str]:
    """CV group of each question (answerable first, then unanswerable): the first relevant document, so two
    wordings of one question never sit on both sides of a split; each unanswerable question is its own group."""
    return [q["relevant"][0] for q in data["questions"]] + [f"unanswerable-{i}" for i in
                                                           range(len(data.get("unanswerable") or []))]


def collect_items(index_dir: str | Path | None, data: dict, params: Params | None = None) -> list:
    """One `tune.Item` per question of `data` (answerable first, then unanswerable), searched in `index_dir`."""
    from knowledge.embed import load_embedder
    from knowledge.engine import get_engine
    from knowledge.features import candidates
    from knowledge.query import make_query
    from knowledge.tune import Item

    p = params or load_params()
    engine = get_engine(index_dir)
    index = engine.index()
    embedder = load_embedder(engine.snapshot().meta["model_key"])
    asked = [(q["q"], q["relevant"]) for q in data["questions"]] + [(u, []) for u in data.get("unanswerable") or []]
    today = newest_date(index.dates)
    items = []
    for text, relevant in asked:
        query = make_query(text, embedder)
        cands = candidates(index, query, p.bm25, today=today)
        items.append(Item(frozenset(relevant), cands, [index.doc_ids[d] for d in cands.docs], len(query.tokens)))
    return items


def newest_date(dates) -> dt.date:  # type: ignore[no-untyped-def]
    """The newest of the documents' dates: evaluations date the news by it, so they repeat on any day.

    >>> newest_date(["2026-11-28", "", "2026-10-01"])
    datetime.date(2026, 11, 28)
    """
    valid = [d for d in dates if d]
    return dt.date.fromisoformat(max(valid)) if valid else dt.date.today()


def without_docs(item, docs: set[str]):  # type: ignore[no-untyped-def]
    """The item with the candidates in `docs` removed (how a fitting fold sees the evaluation index)."""
    from knowledge.features import Candidates

    keep = np.array([d not in docs for d in item.cand_ids], dtype=bool)
    c = item.cands
    cands = Candidates(c.docs[keep], c.best_rows[keep], c.x[keep], {k: v[keep] for k, v in c.raw.items()})
    return dataclasses.replace(item, cands=cands, cand_ids=[d for d, k in zip(item.cand_ids, keep, strict=True) if k])


def eval_index(base: str | Path | None = None, distractors: tuple[Path, ...] = (DEV_DISTRACTOR_DIR, DISTRACTOR_DIR),
               suffix: str = "heldout") -> tuple[Path, dict[Path, set[str]]]:
    """An evaluation copy of the live index of `base` with the documents of the `distractors` directories added;
    returns its directory (`<base>-<suffix>`) and the distractor ids by directory. The embedding cache of the
    copy is kept between runs."""
    from knowledge.engine import get_engine
    from knowledge.loaders import iter_files, load_file
    from knowledge.store import current_name

    base_dir = config.index_dir(base).resolve()
    name = current_name(base_dir)
    if name is None:
        from knowledge.store import IndexMissingError

        raise IndexMissingError(f"index_dir: no index in {base_dir} (run `python -m knowledge ensure`)")
    target = base_dir.parent / f"{base_dir.name}-{suffix}"
    cache = target / "embcache.sqlite"
    if target.exists():
        for child in target.iterdir():
            if child != cache:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base_dir / name, target / name)
    (target / "CURRENT").write_text(name + "\n")
    if not cache.exists() and (base_dir / "embcache.sqlite").exists():
        shutil.copy2(base_dir / "embcache.sqlite", cache)
    by_dir = {d: [load_file(p) for p in iter_files([d])] for d in distractors if d.is_dir()}
    docs = [doc for group in by_dir.values() for doc in group]
    if docs:
        get_engine(target).apply(docs, origin="eval")
    return target, {d: {doc.doc_id for doc in group} for d, group in by_dir.items()}


def run_eval(index_dir: str | Path | None = None, questions: str | Path | None = None,
             heldout: str | Path | None = HELDOUT_FILE, distractors: Path = DISTRACTOR_DIR, k: int = 5,
             modes: tuple[str, ...] = MODES, cv: bool = True) -> dict:
    """Per mode: k-fold CV figures on the development questions and the held-out figures with the shipped
    parameters, both searched in the evaluation index (live index + development and held-out distractors).
    Also lists held-out misses (the command line prints them only with `--misses`)."""
    from knowledge.tune import cross_validate, evaluate_items, ranked_ids

    target, by_dir = eval_index(index_dir, (DEV_DISTRACTOR_DIR, distractors))
    distractor_ids = by_dir.get(distractors, set())
    params = load_params()
    out: dict = {"index": str(target), "distractors": len(distractor_ids),
                 "dev_distractors": len(by_dir.get(DEV_DISTRACTOR_DIR, set()))}
    dev = load_questions(questions)
    if cv:  # candidates picked with neutral weights: nothing fitted on all questions leaks into the folds
        items = collect_items(target, dev, Params())
        groups = question_groups(dev)
        out["cv"] = cross_validate(items, groups, k, modes=modes,
                                   train_view=lambda it: without_docs(it, distractor_ids))
        out["n_dev"], out["n_dev_unanswerable"] = len(dev["questions"]), len(dev.get("unanswerable") or [])
    if heldout and Path(heldout).exists():
        held = load_questions(heldout)
        items = collect_items(target, held, params)
        out["heldout"] = evaluate_items(items, params, modes)
        out["n_heldout"], out["n_heldout_unanswerable"] = len(held["questions"]), len(held.get("unanswerable") or [])
        misses = []
        for q, it in zip(held["questions"], items, strict=False):
            ids, _ = ranked_ids(it, "rerank", params)
            if not ids or ids[0] not in it.relevant:
                misses.append({"q": q["q"], "relevant": q["relevant"], "top": ids[:3]})
        out["heldout_misses"] = misses
    return out


def print_table(result: dict) -> None:
    """Print CV and held-out figures side by side, one row per mode, as a Markdown table."""
    cv, held = result.get("cv", {}), result.get("heldout", {})
    print(f"development: {result.get('n_dev', '-')} questions + {result.get('n_dev_unanswerable', '-')} unanswerable "
          f"(5-fold CV); held-out: {result.get('n_heldout', '-')} + {result.get('n_heldout_unanswerable', '-')} "
          f"(shipped params); index with {result['distractors']} held-out and {result['dev_distractors']} "
          "development distractor documents")
    print("| mode | CV recall@1 | CV MRR | CV false answers | held-out recall@1 | held-out MRR | held-out false answers |")
    print("|---|---|---|---|---|---|---|")

    def cell(m: dict | None, key: str) -> str:
        return f"{m[key]:.3f}" if m else "-"

    for mode in dict.fromkeys([*cv, *held]):
        c, h = cv.get(mode), held.get(mode)
        print(f"| {mode} | {cell(c, 'recall@1')} | {cell(c, 'mrr')} | {cell(c, 'false_answers')} | "
              f"{cell(h, 'recall@1')} | {cell(h, 'mrr')} | {cell(h, 'false_answers')} |")
    print("(false answers: share of unanswerable questions that get an answer instead of 没有找到相关内容)")
    for miss in result.get("heldout_misses", []):
        print(f"held-out miss: {miss['q']} → {', '.join(miss['top'])} (relevant: {', '.join(miss['relevant'])})")

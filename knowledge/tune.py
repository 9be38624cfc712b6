"""Fit every tuned number of `params.json` on development questions, and cross-validate the fitting.

`fit` chooses, in order: the BM25F field and expansion weights, the dense per-field offsets, the hybrid mix,
the re-ranker's weights (its regularisation by an inner cross-validation) and each mode's not-found threshold.
`cross_validate` runs `fit` on k-1 folds and measures the held-out fold, so the figure it reports never saw
its test questions. `python -m knowledge tune` fits on every development question and writes `params.json`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.cv import group_kfold
from knowledge.features import Candidates
from knowledge.ranking import DENSE_FIELDS, MODES, Params, confidence, design, load_params, score

BM25_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
EXP_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
OFFSET_GRID = (-1.0, *np.round(np.arange(-0.08, 0.041, 0.01), 2).tolist())
ALPHA_GRID = tuple(np.round(np.arange(0.0, 1.001, 0.05), 2).tolist())
LAMBDA_GRID = (0.01, 0.1, 1.0, 10.0)


@dataclass
class Item:
    """One evaluation question with its candidates: `relevant` is empty for an unanswerable question."""

    relevant: frozenset[str]
    cands: Candidates
    cand_ids: list[str]
    n_tokens: int

    @property
    def labels(self) -> np.ndarray:
        return np.array([d in self.relevant for d in self.cand_ids], dtype=bool)


def ranked_ids(item: Item, mode: str, p: Params) -> tuple[list[str], np.ndarray]:
    """Candidate ids best first under `mode`, and the order as positions into the candidates."""
    s = score(item.cands, mode, p)
    order = np.argsort(-s, kind="stable")
    return [item.cand_ids[i] for i in order], order


def rank_metrics(items: list[Item], mode: str, p: Params) -> dict[str, float]:
    """recall@1, recall@5 and MRR of `mode` over the answerable items."""
    r1 = r5 = mrr = 0.0
    n = 0
    for it in items:
        if not it.relevant:
            continue
        n += 1
        ids, _ = ranked_ids(it, mode, p)
        first = next((i for i, d in enumerate(ids) if d in it.relevant), None)
        if first is not None:
            r1 += first == 0
            r5 += first < 5
            mrr += 1.0 / (first + 1)
    n = max(n, 1)
    return {"recall@1": r1 / n, "recall@5": r5 / n, "mrr": mrr / n}


def _objective(items: list[Item], mode: str, p: Params) -> float:
    m = rank_metrics(items, mode, p)
    return m["recall@1"] + m["mrr"]


def _coordinate_search(items: list[Item], mode: str, p: Params, attr: str, grids: dict[str, tuple]) -> Params:
    """Coordinate ascent of the dict `attr` of `p` over `grids`, two passes; ties keep the current value."""
    for _ in range(2):
        for key, grid in grids.items():
            best_val, best = getattr(p, attr)[key], _objective(items, mode, p)
            for v in grid:
                trial = dataclasses.replace(p, **{attr: {**getattr(p, attr), key: v}})
                obj = _objective(items, mode, trial)
                if obj > best + 1e-9:
                    best_val, best = v, obj
            p = dataclasses.replace(p, **{attr: {**getattr(p, attr), key: best_val}})
    return p


def fit_bm25(items: list[Item], p: Params) -> Params:
    """BM25F weights of title, headings, summary and the thesaurus expansion (body weighs 1)."""
    return _coordinate_search(items, "bm25", p, "bm25", {"title": BM25_GRID, "headings": BM25_GRID,
                                                         "summary": BM25_GRID, "exp": EXP_GRID})


def fit_dense(items: list[Item], p: Params) -> Params:
    """Per-field offsets of the dense max-sim (-1 switches a field off)."""
    return _coordinate_search(items, "dense", p, "dense", {f: OFFSET_GRID for f in DENSE_FIELDS})


def fit_alpha(items: list[Item], p: Params) -> Params:
    """The hybrid mix: weight of the dense score against BM25F."""
    best = max(ALPHA_GRID, key=lambda a: (_objective(items, "hybrid", dataclasses.replace(p, hybrid_alpha=a)),
                                          -abs(a - 0.5)))
    return dataclasses.replace(p, hybrid_alpha=float(best))


def _listwise(ws: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]], lam: float) -> tuple[float, np.ndarray]:
    loss, grad = lam * float(ws @ ws), 2 * lam * ws
    for z, y in groups:
        s = z @ ws
        s = s - s.max()
        e = np.exp(s)
        p_all = e / e.sum()
        p_rel = np.where(y, e, 0.0) / e[y].sum()
        loss += -np.log(e[y].sum() / e.sum())
        grad += z.T @ (p_all - p_rel)
    return loss / len(groups), grad / len(groups)


def fit_rerank(items: list[Item], p: Params, lam: float) -> Params:
    """Listwise softmax (cross-entropy over each question's candidates) with L2 penalty `lam`."""
    from scipy.optimize import minimize

    rows = [(design(it.cands, p), it.labels) for it in items if it.relevant and it.labels.any()]
    if not rows:
        return p
    allx = np.vstack([x for x, _ in rows])
    mean, std = allx.mean(axis=0), allx.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    groups = [((x - mean) / std, y) for x, y in rows]
    res = minimize(_listwise, np.zeros(allx.shape[1]), args=(groups, lam), jac=True, method="L-BFGS-B")
    return dataclasses.replace(p, rerank_weights=res.x.round(6).tolist(), rerank_mean=mean.round(6).tolist(),
                               rerank_std=std.round(6).tolist())


def fit_rerank_cv(items: list[Item], p: Params, groups: list[str], k: int = 4) -> Params:
    """The re-ranker with its penalty chosen by an inner k-fold cross-validation on `items` only."""
    def inner(lam: float) -> float:
        total = 0.0
        for train, test in group_kfold(groups, k, seed=1):
            fitted = fit_rerank([items[i] for i in train], p, lam)
            total += _objective([items[i] for i in test], "rerank", fitted)
        return total

    lam = max(LAMBDA_GRID, key=inner)
    fitted = fit_rerank(items, p, lam)
    return dataclasses.replace(fitted, provenance={**fitted.provenance, "rerank_lambda": lam})


def answered(item: Item, mode: str, p: Params) -> tuple[float, bool]:
    """(confidence of the mode's top candidate, whether that candidate is relevant)."""
    ids, order = ranked_ids(item, mode, p)
    if not ids:
        return float("-inf"), False
    return confidence(item.cands, mode, p, order, item.n_tokens), ids[0] in item.relevant


def fit_threshold(answerable: list[float], unanswerable: list[float]) -> float:
    """The cut that maximises (share of answerable questions answered) - (share of unanswerable ones answered);
    midway between neighbouring confidences, the lower one on ties.

    >>> fit_threshold([0.9, 0.8, 0.85], [0.7, 0.82])
    0.835
    """
    a, u = np.array(answerable), np.array(unanswerable)
    values = np.unique(np.concatenate([a, u]))
    cuts = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    gain = [(a >= c).mean() - ((u >= c).mean() if u.size else 0.0) for c in cuts]
    return round(float(cuts[int(np.argmax(gain))]), 6)


def fit_not_found(items: list[Item], p: Params) -> Params:
    """Each mode's not-found threshold on its confidence."""
    out = {}
    for mode in MODES:
        conf_a = [answered(it, mode, p)[0] for it in items if it.relevant]
        conf_u = [answered(it, mode, p)[0] for it in items if not it.relevant]
        out[mode] = fit_threshold(conf_a, conf_u) if conf_a else p.not_found.get(mode, 0.0)
    return dataclasses.replace(p, not_found=out)


def fit(items: list[Item], groups: list[str], base: Params | None = None) -> Params:
    """Every tuned number, fitted on `items` (their `groups` are used by the inner cross-validation)."""
    p = base or Params()
    p = fit_bm25(items, p)
    p = fit_dense(items, p)
    p = fit_alpha(items, p)
    p = fit_rerank_cv(items, p, groups)
    return fit_not_found(items, p)


def tune(index_dir: str | Path | None = None, questions: str | Path | None = None) -> Params:
    """Fit every parameter on all development questions, searched in a copy of the product index with the
    development distractors (never the held-out ones), and write `params.json`; the cross-validation figures of
    the same procedure are in `python -m knowledge eval`."""
    from knowledge.evaluate import (
        DEV_DISTRACTOR_DIR,
        collect_items,
        eval_index,
        load_questions,
        question_groups,
    )

    data = load_questions(questions)
    target, _ = eval_index(index_dir, (DEV_DISTRACTOR_DIR,), suffix="tune")
    items = collect_items(target, data, Params())
    p = fit(items, question_groups(data))
    p = dataclasses.replace(p, provenance={**p.provenance, "fitted_on": f"{len(data['questions'])} development "
                                           f"questions + {len(data.get('unanswerable') or [])} unanswerable "
                                           "(knowledge/eval/questions.yml), product index + development distractors"})
    p.save()
    load_params.cache_clear()
    return p


def evaluate_items(items: list[Item], p: Params, modes: tuple[str, ...] = MODES) -> dict[str, dict[str, float]]:
    """Per mode: recall@1, recall@5, MRR on answerable items; `answered` (share of answerable items above the
    not-found threshold) and `false_answers` (share of unanswerable items above it)."""
    out = {}
    for mode in modes:
        m = rank_metrics(items, mode, p)
        thr = p.not_found.get(mode, float("-inf"))
        ans = [answered(it, mode, p)[0] >= thr for it in items if it.relevant]
        un = [answered(it, mode, p)[0] >= thr for it in items if not it.relevant]
        m["answered"] = float(np.mean(ans)) if ans else 0.0
        m["false_answers"] = float(np.mean(un)) if un else 0.0
        m["n"], m["n_unanswerable"] = len(ans), len(un)
        out[mode] = m
    return out


def cross_validate(items: list[Item], groups: list[str], k: int = 5, seed: int = 0,
                   modes: tuple[str, ...] = MODES,
                   train_view: Callable[[Item], Item] | None = None) -> dict[str, dict[str, float]]:
    """k-fold figures: each fold is measured with parameters fitted on the other folds only (pooled over folds).
    `train_view` changes how the fitting folds see an item (e.g. without the held-out distractors)."""
    pooled: dict[str, dict[str, float]] = {}
    view = train_view or (lambda it: it)
    for train, test in group_kfold(groups, k, seed):
        p = fit([view(items[i]) for i in train], [groups[i] for i in train])
        part = evaluate_items([items[i] for i in test], p, modes)
        for mode, m in part.items():
            acc = pooled.setdefault(mode, {})
            w_a, w_u = m["n"], m["n_unanswerable"]
            for key, val in m.items():
                if key in ("n", "n_unanswerable"):
                    acc[key] = acc.get(key, 0) + val
                else:
                    acc[key] = acc.get(key, 0.0) + val * (w_u if key == "false_answers" else w_a)
    for m in pooled.values():
        for key in list(m):
            if key not in ("n", "n_unanswerable"):
                m[key] = round(m[key] / max(1, m["n_unanswerable"] if key == "false_answers" else m["n"]), 4)
    return pooled

"""Ranking modes over candidate features, and the tuned numbers they use (`params.json`).

Modes: `bm25` (BM25F: body plus weighted title, headings, summary and thesaurus-expansion scores), `dense`
(max-sim over the body chunks and the title, headings and summary vectors, each field with its own offset),
`hybrid` (a convex mix of the two, min-max scaled over the candidates) and `rerank` (a linear re-ranker over
every feature, fitted listwise). Every number in `params.json` is chosen by cross-validation on the
development questions (`python -m knowledge tune`, see `tune.py`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from knowledge.features import FEATURES, Candidates, F

MODES = ("bm25", "dense", "hybrid", "rerank")
PARAMS_FILE = Path(__file__).resolve().parent / "params.json"
DERIVED = ("dense_mode", "bm25_mode", "hybrid_mode")
DENSE_FIELDS = ("title", "headings", "summary", "doc", "sentence")  # offset each, then max with the body


@dataclass
class Params:
    """Tuned numbers; the defaults are neutral starting points, not tuned values."""

    bm25: dict[str, float] = field(default_factory=lambda: {"title": 1.0, "headings": 0.5, "summary": 0.5, "exp": 0.3})
    dense: dict[str, float] = field(default_factory=lambda: {"title": 0.0, "headings": -0.05, "summary": 0.0,
                                                             "doc": 0.0, "sentence": 0.0})
    hybrid_alpha: float = 0.6
    rerank_weights: list[float] = field(default_factory=list)
    rerank_mean: list[float] = field(default_factory=list)
    rerank_std: list[float] = field(default_factory=list)
    not_found: dict[str, float] = field(default_factory=lambda: {"bm25": 2.0, "dense": 0.86, "hybrid": 0.86,
                                                                 "rerank": 0.0})
    provenance: dict = field(default_factory=dict)

    def save(self, path: Path = PARAMS_FILE) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@functools.lru_cache(maxsize=4)
def load_params(path: str | None = None) -> Params:
    """The shipped parameters (defaults when the file is missing)."""
    p = Path(path) if path else PARAMS_FILE
    if not p.exists():
        return Params()
    return Params(**json.loads(p.read_text(encoding="utf-8")))


def minmax(v: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the candidates (all zeros when they are equal).

    >>> minmax(np.array([1.0, 3.0, 2.0])).tolist()
    [0.0, 1.0, 0.5]
    """
    span = float(v.max() - v.min()) if v.size else 0.0
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


def bm25_score(c: Candidates, p: Params) -> np.ndarray:
    """BM25F per candidate: body + Σ field weight × field score (+ weighted expansion score)."""
    if not len(c):
        return np.zeros(0, np.float32)
    s = c.raw["bm25_body"].astype(np.float64)
    for f in ("title", "headings", "summary", "exp"):
        s = s + p.bm25.get(f, 0.0) * c.raw[f"bm25_{f}"]
    return s


def dense_score(c: Candidates, p: Params) -> np.ndarray:
    """Max-sim over fields: the best of body, title, headings and summary cosines, each with its offset."""
    x = c.x
    cols = [x[:, F["dense_body"]]] + [x[:, F[f"dense_{f}"]] + p.dense.get(f, 0.0)
                                      for f in DENSE_FIELDS]
    return np.max(np.stack(cols), axis=0).astype(np.float64) if len(c) else np.zeros(0)


def hybrid_score(c: Candidates, p: Params) -> np.ndarray:
    """Convex mix of min-max scaled dense and BM25F scores."""
    a = p.hybrid_alpha
    return a * minmax(dense_score(c, p)) + (1 - a) * minmax(bm25_score(c, p))


def design(c: Candidates, p: Params) -> np.ndarray:
    """Re-ranker inputs: the feature rows plus the three first-stage mode scores."""
    bm = bm25_score(c, p)
    extra = np.stack([dense_score(c, p), bm / bm.max() if bm.size and bm.max() > 0 else np.zeros_like(bm),
                      hybrid_score(c, p)], axis=1) if len(c) else np.zeros((0, len(DERIVED)))
    return np.hstack([c.x.astype(np.float64), extra])


def rerank_score(c: Candidates, p: Params) -> np.ndarray:
    """The linear re-ranker's score (falls back to hybrid when it has not been fitted)."""
    if not p.rerank_weights:
        return hybrid_score(c, p)
    z = (design(c, p) - np.array(p.rerank_mean)) / np.array(p.rerank_std)
    return z @ np.array(p.rerank_weights)


SCORERS = {"bm25": bm25_score, "dense": dense_score, "hybrid": hybrid_score, "rerank": rerank_score}
DESIGN_NAMES = FEATURES + DERIVED


def score(c: Candidates, mode: str, p: Params) -> np.ndarray:
    """Scores of the candidates under `mode`."""
    if mode not in SCORERS:
        raise ValueError(f"mode: {mode!r} not in {MODES}")
    return SCORERS[mode](c, p)


def confidence(c: Candidates, mode: str, p: Params, order: np.ndarray, n_tokens: int) -> float:
    """How sure the mode is of its top candidate, on a scale its not-found threshold is set on: BM25F per
    query token (bm25), the best field cosine (dense, hybrid) or the re-ranker's score (rerank)."""
    if not len(c):
        return float("-inf")
    top = int(order[0])
    if mode == "bm25":
        return float(bm25_score(c, p)[top]) / max(1, n_tokens)
    if mode == "rerank" and p.rerank_weights:
        return float(rerank_score(c, p)[top])
    return float(dense_score(c, p)[top])

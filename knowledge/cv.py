"""K-fold splits for cross-validation: every tuned number is fitted on the other folds only."""

from __future__ import annotations

import numpy as np


def group_kfold(groups: list[str], k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays for `k` folds; questions of one group (e.g. the document they are about) stay
    in the same fold, so a fold is never tuned on another wording of its own test question. Groups are shuffled
    with `seed` and dealt to folds largest first, which keeps the folds about the same size.

    >>> folds = group_kfold(["a", "a", "b", "c", "d", "d"], k=2)
    >>> [sorted(test.tolist()) for _, test in folds]
    [[0, 1, 3], [2, 4, 5]]
    >>> all(set(tr.tolist()).isdisjoint(te.tolist()) for tr, te in folds)
    True
    """
    if k < 2:
        raise ValueError("k: need at least 2 folds")
    rng = np.random.default_rng(seed)
    names = sorted(set(groups))
    rng.shuffle(names)
    members = {g: [i for i, x in enumerate(groups) if x == g] for g in names}
    names.sort(key=lambda g: -len(members[g]))  # stable: shuffled order among equal sizes
    folds: list[list[int]] = [[] for _ in range(k)]
    for g in names:
        min(folds, key=len).extend(members[g])
    everything = np.arange(len(groups))
    out = []
    for fold in folds:
        test = np.array(sorted(fold), dtype=np.int64)
        out.append((np.setdiff1d(everything, test), test))
    return out

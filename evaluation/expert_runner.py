"""The expert-level ranker in `matcher evaluate --level expert --ranker cv`: expert features for every judged
need, then nested cross-validation grouped by need (outer folds score, inner folds choose the configuration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from matcher.expert_features import ExpertCandidates
from matcher.expert_rank import select
from matcher.expert_train import stack
from matcher.train import Qrels

Ranking = dict[str, dict[str, float]]


def nested_cv_run(
    cands: dict[str, ExpertCandidates], qrels: Qrels, folds: int = 5, progress: Callable[[int], None] | None = None
) -> tuple[Ranking, dict[str, Any]]:
    """Scores for each need from a model that never saw it, and the configuration chosen in each fold."""
    X, y, groups, qids = stack(cands, qrels)
    scores = np.zeros(len(y))
    chosen = []
    for train, test in GroupKFold(n_splits=folds).split(X, y, groups):
        model, cv = select(X[train], y[train], groups[train])
        scores[test] = model.decision_function(X[test])
        best = next(row for row in cv["table"] if {k: row[k] for k in cv["best"]} == cv["best"])
        chosen.append({"params": {"objective": "expert-gbdt", **cv["best"]}, "mrr": best["cv_mrr"]})
        if progress:
            progress(1)
    run: Ranking = {}
    for i, qid in enumerate(qids):
        rows = np.flatnonzero(groups == i)
        run[qid] = {cands[qid].ids[j]: float(scores[r]) for j, r in enumerate(rows)}
    info = {"protocol": f"expert-level ranker, nested {folds}-fold CV grouped by need", "chosen_per_fold": chosen}
    return run, info

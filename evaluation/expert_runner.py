"""The expert-level ranker in `matcher evaluate --level expert --ranker cv`: expert features for every judged
need, then nested cross-validation grouped by need (outer folds score, inner folds choose the configuration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from matcher.ranking.cv import JudgedSet, nested_folds
from matcher.ranking.expert.features import ExpertCandidates
from matcher.ranking.expert.train import EXPERT_RANKER, stack
from matcher.ranking.model import Ranker
from matcher.ranking.qrels import Qrels, Ranking


def nested_cv_run(
    cands: dict[str, ExpertCandidates],
    qrels: Qrels,
    folds: int = 5,
    progress: Callable[[int], None] | None = None,
    grid: list[dict[str, Any]] | None = None,
) -> tuple[Ranking, dict[str, Any]]:
    """Scores for each need from a model that never saw it, and the configuration chosen in each fold."""
    ts: JudgedSet = stack(cands, qrels)
    scores = np.zeros(len(ts.y))
    chosen = []
    split = np.array(ts.queries)[ts.groups]  # one need id per row: outer folds as GroupKFold over the rows
    for model, best, test in nested_folds(
        ts, qrels, Ranker, grid or list(EXPERT_RANKER.grid), EXPERT_RANKER.selection, split=split, outer=folds
    ):
        rows = ts.rows_of(test)
        scores[rows] = model.decision_function(ts.X[rows])
        chosen.append(best)
        if progress:
            progress(1)
    info = {"protocol": f"expert-level ranker, nested {folds}-fold CV grouped by need", "chosen_per_fold": chosen}
    return ts.run(np.arange(len(ts.y)), scores), info

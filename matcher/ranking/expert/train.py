"""What training the expert ranker means: its configuration grid and selection (MRR) over each judged need's
expert pool, rows of `features.EXPERT_FEATURES` labelled relevant or not (`stack`; `learn/rows.py` collects
them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.errors import InputError
from matcher.ranking.cv import JudgedSet, Selection
from matcher.ranking.expert.features import BASE, EXPERT_FEATURES, RELATIVE, ExpertCandidates
from matcher.ranking.qrels import Qrels
from matcher.ranking.training import RankerSpec

TREES = {"objective": "binary-gbdt", "l2_regularization": 0.0}
GRID: list[dict[str, Any]] = [
    {**TREES, "max_iter": 200, "learning_rate": 0.05, "max_depth": 3, "min_samples_leaf": 200},
    {**TREES, "max_iter": 300, "learning_rate": 0.05, "max_depth": 4, "min_samples_leaf": 100},
    {
        **TREES,
        "max_iter": 400,
        "learning_rate": 0.03,
        "max_depth": 4,
        "min_samples_leaf": 100,
        "l2_regularization": 1.0,
    },
]
EXPERT_RANKER = RankerSpec(
    features=tuple(EXPERT_FEATURES),
    descriptions={**dict(BASE), **{f"{n}_vs_best": f"{n} 与该需求最佳候选之差" for n in RELATIVE}},
    grid=tuple(GRID),
    selection=Selection(metric="mrr", folds=4, rule="best"),
    purpose="Re-orders the roll-up's top 100 experts for an enterprise need from features of each expert's whole "
    "record; its score is the probability that the expert is the right one.",
    pairs="(need, expert) candidate rows",
)


def stack(cands: dict[str, ExpertCandidates], qrels: Qrels) -> JudgedSet:
    """One judged set of the needs with candidates: binary labels (the judged expert or not)."""
    qids = [q for q, c in cands.items() if c.ids]
    if not qids:
        raise InputError("no judged need has candidate experts")
    X = np.vstack([cands[q].X for q in qids])
    y = np.concatenate([[int(qrels[q].get(e, 0) > 0) for e in cands[q].ids] for q in qids])
    groups = np.concatenate([[i] * len(cands[q].ids) for i, q in enumerate(qids)])
    targets = [e for q in qids for e in cands[q].ids]
    return JudgedSet(X, y, groups, qids, targets)

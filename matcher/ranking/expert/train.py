"""The expert ranker's training data: for each judged need, its top experts by hybrid vote as rows of
`features.EXPERT_FEATURES`, labelled relevant or not; selection by MRR."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from matcher.errors import InputError, NotFoundError
from matcher.ranking.cv import JudgedSet, Selection
from matcher.ranking.expert.features import BASE, EXPERT_FEATURES, RELATIVE, ExpertCandidates, expert_candidates
from matcher.ranking.protocols import Searcher
from matcher.ranking.qrels import Qrels
from matcher.ranking.training import RankerSpec, fit_ranker, save_ranker

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


def collect_experts(
    searcher: Searcher, qrels: Qrels, progress: Callable[[int], None] | None = None
) -> dict[str, ExpertCandidates]:
    """Need id → its top experts by hybrid vote with feature rows (needs absent from the workspace skipped)."""
    found = {}
    for qid in qrels:
        with suppress(NotFoundError):  # judged but not among the needs given
            found[qid] = expert_candidates(searcher, searcher.need_query(qid))
        if progress:
            progress(1)
    return found


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


def train_expert_ranker(
    searcher: Searcher,
    qrels: Qrels,
    *,
    out: Path,
    name: str,
    sources: list[str],
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Choose the configuration by grouped CV, refit on all judged needs, save (skops + params.json + card.md)."""
    ts = stack(collect_experts(searcher, qrels, progress), qrels)
    if ts.y.sum() < 2:
        raise InputError("fewer than two judged experts are among the candidates: nothing to learn from")
    model, cv = fit_ranker(ts, qrels, EXPERT_RANKER)
    return save_ranker(
        out, model, cv, EXPERT_RANKER, ts=ts, embedder=searcher.embedder.name, name=name, sources=sources
    )

"""The outcome ranker's training data: judged (need, outcome) pairs from TREC qrels or staff feedback, each a
row of `features.FEATURES`; selection by nDCG@10 with the one-standard-error rule."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from matcher.errors import InputError
from matcher.ranking.cv import JudgedSet, Selection
from matcher.ranking.outcome.features import DESCRIPTIONS, FEATURES
from matcher.ranking.protocols import Searcher
from matcher.ranking.qrels import Qrels
from matcher.ranking.training import RankerSpec, fit_ranker, save_ranker
from matcher.store.tables import Need, Outcome

GRID: list[dict[str, Any]] = [
    *({"objective": "pairwise-linear", "C": c} for c in (0.01, 0.1, 1.0)),
    *({"objective": "pointwise-linear", "alpha": a} for a in (1.0, 100.0)),
    *(
        {"objective": "pointwise-gbdt", "max_depth": d, "learning_rate": lr, "max_iter": 150}
        for d, lr in product((2, 3), (0.03, 0.1))
    ),
]
OUTCOME_RANKER = RankerSpec(
    features=FEATURES,
    descriptions=DESCRIPTIONS,
    grid=tuple(GRID),
    selection=Selection(metric="ndcg@10", folds=5, rule="one-se"),
    purpose="Re-scores the top candidate outcomes of matcher's hybrid retrieval (BM25 + dense) for an enterprise "
    "need, and gives a calibrated 0–100 match score with the features that drove it. Expert and institution "
    "rankings are roll-ups of these outcome scores.",
    pairs="(need, outcome) pairs",
)


def judged_set(searcher: Searcher, qrels: Qrels, progress: Callable[[int], None] | None = None) -> JudgedSet:
    """Feature rows for every judged (need, outcome) pair whose need and outcome are in the workspace."""
    with searcher.sessions() as session:
        pk_of = {oid: pk for oid, pk in session.execute(select(Outcome.id, Outcome.pk))}
        known_needs = set(session.scalars(select(Need.id)))
    blocks: list[np.ndarray] = []
    labels: list[int] = []
    groups: list[int] = []
    queries: list[str] = []
    targets: list[str] = []
    skipped: list[str] = []
    for qid, judged in qrels.items():
        pairs = [(t, g) for t, g in judged.items() if t in pk_of]
        if qid not in known_needs or not pairs:
            skipped.append(qid)
            continue
        X, _ = searcher.features(searcher.need_query(qid), [pk_of[t] for t, _ in pairs])
        blocks.append(X)
        labels += [g for _, g in pairs]
        groups += [len(queries)] * len(pairs)
        targets += [t for t, _ in pairs]
        queries.append(qid)
        if progress:
            progress(1)
    if not blocks:
        raise InputError("no judged pair matches a need and an outcome of the workspace")
    return JudgedSet(np.vstack(blocks), np.asarray(labels, float), np.asarray(groups), queries, targets, skipped)


def train_and_save(
    searcher: Searcher,
    qrels: Qrels,
    *,
    out: Path,
    name: str,
    sources: list[str],
    folds: int = 5,
    grid: list[dict[str, Any]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Build the training set, cross-validate the grid, refit the best, save model + params.json + card.md."""
    ts = judged_set(searcher, qrels, progress)
    model, cv = fit_ranker(ts, qrels, OUTCOME_RANKER, grid=grid, folds=folds, progress=progress)
    return save_ranker(
        out, model, cv, OUTCOME_RANKER, ts=ts, embedder=searcher.embedder.name, name=name, sources=sources
    )

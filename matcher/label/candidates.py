"""A need's candidate pairs for the served labelling loop: its fused top outcomes with the probability of relevance
as served and the signals' rank percentiles (what `select.py` and `top.py` read)."""

from __future__ import annotations

import numpy as np

from matcher.label.select import Candidate, percentiles
from matcher.levels import OUTCOME
from matcher.match import forward
from matcher.ranking.outcome.features import FEATURES
from matcher.store.tables import Need
from matcher.workspace.context import Context

PER_NEED = 20  # a need's candidates considered: the fused top 20 (where the weak line falls for most needs)


def need_candidates(ctx: Context, need: Need, depth: int = PER_NEED) -> list[Candidate]:
    """The need's fused top `depth` outcomes: probability of relevance as served (the ranker's when there is
    one) and rank percentiles under BM25, dense and the served score."""
    snap = ctx.snapshot()
    with ctx.served.turn:
        query = forward.query_of(ctx, need)
        fused = forward.candidates(ctx, query, snap)[:depth]
        X, infos = forward.outcome_features(ctx, query, [c.pk for c in fused], snap=snap)
        kept = [c for c in fused if c.pk in infos]
        if not kept:
            return []
        ranker = forward.ranker_at(snap.ranker, OUTCOME)
        if ranker:
            order_by = ranker.model.decision_function(X)
            served = ranker.model.probability_of(order_by)
        else:
            served = order_by = np.array([c.score for c in kept])
        mapped = forward.calibrated(snap, OUTCOME.key(ranked=ranker is not None), served)
        p = np.clip(served, 0.0, 1.0) if mapped is None else mapped  # uncalibrated: orders the choice, never shown
    signals = [percentiles(X[:, FEATURES.index(f)].tolist()) for f in ("bm25", "dense_cos")]
    signals.append(percentiles(order_by.tolist()))
    return [
        Candidate(need.id, infos[c.pk].id, float(p[i]), tuple(s[i] for s in signals), infos[c.pk].field)
        for i, c in enumerate(kept)
    ]

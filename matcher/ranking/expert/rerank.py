"""Order the expert pool for a need with the expert ranker (a `binary-gbdt` Ranker over
`features.EXPERT_FEATURES`)."""

from __future__ import annotations

from matcher.ranking.expert.features import ExpertCandidates
from matcher.ranking.model import Ranker
from matcher.search.results import ExpertHit


def rerank_hits(hits: list[ExpertHit], found: ExpertCandidates, model: Ranker) -> list[ExpertHit]:
    """The pool's experts among `hits` (the roll-up of the fused and the pool's extra outcomes), ordered by the
    expert ranker; each hit's score becomes its calibrated probability of being the right expert."""
    if not found.ids:
        return []
    scores = model.decision_function(found.X)
    raw = dict(zip(found.ids, scores.tolist(), strict=True))
    shown = dict(zip(found.ids, model.probability_of(scores).tolist(), strict=True))
    pooled = [h for h in hits if h.id in raw]
    ordered = sorted(pooled, key=lambda h: (-raw[h.id], h.rank))
    for rank, hit in enumerate(ordered, 1):
        hit.rank, hit.score = rank, shown[hit.id]
    return ordered

"""Re-order the roll-up's top experts for a need with the expert ranker (a `binary-gbdt` Ranker over
`features.EXPERT_FEATURES`)."""

from __future__ import annotations

from matcher.ranking.expert.features import expert_candidates
from matcher.ranking.model import Ranker
from matcher.ranking.protocols import Searcher
from matcher.search.query import Query
from matcher.search.results import ExpertHit
from matcher.search.rollup import Scored


def rerank_hits(
    searcher: Searcher,
    query: Query,
    hits: list[ExpertHit],
    model: Ranker,
    fused: list[Scored] | None = None,
) -> list[ExpertHit]:
    """Re-order the roll-up's expert hits by the expert ranker; each hit's score becomes its calibrated probability
    of being the right expert."""
    found = expert_candidates(searcher, query, limit=len(hits), only=[h.id for h in hits], fused=fused)
    raw = dict(zip(found.ids, model.decision_function(found.X).tolist(), strict=True)) if found.ids else {}
    shown = dict(zip(found.ids, (model.match_score(found.X) / 100).tolist(), strict=True)) if found.ids else {}
    ordered = sorted(hits, key=lambda h: (-raw.get(h.id, -1.0), h.rank))  # the calibrated map has ties: order by raw
    for rank, hit in enumerate(ordered, 1):
        hit.rank, hit.score = rank, round(shown.get(hit.id, 0.0), 4)
    return ordered

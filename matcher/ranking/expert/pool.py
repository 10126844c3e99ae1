"""The expert ranker's candidate pool: more than the experts whose outcomes were retrieved.

Outcome voting alone leaves the right expert out whenever none of their outcomes is among the fused candidates
(on NSFC dev the roll-up's top 100 held the right expert for 51 % of the needs). The pool therefore joins three
sources, and the expert ranker orders all of them:

- **vote**: the `vote_top` experts with the best hybrid vote (the roll-up's own order);
- **deep dense**: the `dense_top` experts with the best cosine over a deeper dense search (`dense_depth`
  outcomes, max-matched: an expert scores their best outcome);
- **profile BM25**: the `profile_top` experts whose whole record (all their outcomes' tokens, one document,
  `index/experts.py`) scores best for the need's tokens.

Measured on NSFC dev (1,698 needs, one right expert each), the share of needs whose expert is in the pool: top 100
by best cosine 0.51, top 200 0.59, top 200 + profile top 100 0.62; the expert ranker's Recall@100 over this pool
(nested CV) 0.559, against 0.513 over the roll-up's top 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.index.loaded import Indexes
from matcher.search.query import Query
from matcher.search.results import Components, Scored


@dataclass(frozen=True)
class PoolParams:
    vote_top: int = 100
    dense_top: int = 200
    profile_top: int = 100
    dense_depth: int = 1000


@dataclass
class PoolSources:
    """What the pool is drawn from: the fused list, outcome pk → rank in the deeper dense search (with its
    cosine), and expert pk → profile BM25 score of the best-scoring profiles."""

    fused: list[Scored]
    deep_rank: dict[int, int]
    deep_cos: dict[int, float]
    profile: dict[int, float]

    def outcome_pks(self) -> list[int]:
        """Every outcome found for the need, fused first, then those only the deeper search found."""
        seen = [s.pk for s in self.fused]
        known = set(seen)
        return seen + [pk for pk in self.deep_rank if pk not in known]


def pool_sources(idx: Indexes, query: Query, fused: list[Scored], params: PoolParams) -> PoolSources:
    pks, cos = idx.dense.search(query.retrieval_vector(), params.dense_depth) if params.dense_top else ([], [])
    deep_rank = {int(pk): r for r, pk in enumerate(np.asarray(pks).tolist(), 1)}
    deep_cos = {int(pk): float(c) for pk, c in zip(np.asarray(pks).tolist(), np.asarray(cos).tolist(), strict=True)}
    profile: dict[int, float] = {}
    if idx.experts is not None and params.profile_top:
        epks, scores = idx.experts.search(query.terms, params.profile_top)
        profile = {int(pk): float(s) for pk, s in zip(epks.tolist(), scores.tolist(), strict=True)}
    return PoolSources(fused, deep_rank, deep_cos, profile)


def top_by(values: np.ndarray, k: int) -> set[int]:
    """Row positions of the `k` largest values (ties: the earlier row)."""
    if k <= 0 or len(values) == 0:
        return set()
    order = np.argsort(-values, kind="stable")
    return set(order[:k].tolist())


def extra_items(sources: PoolSources, pks: list[int]) -> list[Scored]:
    """The pool experts' outcomes as roll-up items that add no vote (score 0; ordered by cosine), so that an
    expert none of whose outcomes the roll-up saw still has a hit with evidence to show."""
    extra = sorted(set(pks), key=lambda pk: (-sources.deep_cos.get(pk, -1.0), pk))
    return [
        Scored(pk, 0.0, Components(fused=0.0, dense=sources.deep_cos.get(pk), dense_rank=sources.deep_rank.get(pk)))
        for pk in extra
    ]

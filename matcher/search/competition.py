"""Need competition: how specifically a candidate outcome belongs to *this* need rather than to another stored one.

A general-purpose outcome sits close to many needs (a hub of the embedding space) and crowds the top of every
list; an outcome that is closer to another stored need is less likely to be this need's answer. For each
candidate, its stored vector searches the need index for its `RIVALS` nearest other needs (the query's own need,
if stored, is not a rival of itself), and three features compare the query's cosine with theirs:

- `need_share`: the query's share of a softmax over the query and the rivals, temperature `TAU` (an inverse
  softmax, the hubness correction of cross-lingual retrieval); 1 when no other need is stored.
- `need_rank_rr`: 1 / (1 + rivals closer to the outcome than the query).
- `need_margin`: the query's cosine minus the best rival's (a missing rival counts as cosine −1).

Measured on BDCI dev (113 needs, full corpus): offline, the inverse softmax alone lifted dense Recall@100 from
0.42 to 0.48 (nothing on NSFC, whose needs rarely compete for one outcome); as ranker features, with the nested-CV
ranker trained on the retrieved pool, nDCG@10 0.223 → 0.229 and Recall@100 0.438 → 0.469 (docs/evaluation.md). The dense
retriever orders its candidates by the same share (`retrieve.py`).
"""

from __future__ import annotations

import numpy as np

from matcher.index.dense import DenseIndex

RIVALS = 32
TAU = 0.02
SELF_COS = 0.9999  # a stored need this close to the query is the query itself
SELF_MAX = 16  # stored copies of the query looked for
NO_RIVAL = -1.0


def own_needs(needs: DenseIndex | None, query_vector: np.ndarray) -> set[int]:
    """Pks of stored needs whose vector is the query's own (the need being matched, or copies of its text; up to
    SELF_MAX)."""
    if needs is None:
        return set()
    pks, scores = needs.search(query_vector, SELF_MAX)
    return {int(p) for p, s in zip(pks, scores, strict=True) if s >= SELF_COS}


def rival_cosines(needs: DenseIndex | None, vectors: np.ndarray, exclude: set[int], k: int = RIVALS) -> np.ndarray:
    """(len(vectors) × k) cosines of each outcome vector with its k nearest stored needs outside `exclude`, best
    first, padded with NO_RIVAL."""
    out = np.full((len(vectors), k), NO_RIVAL)
    if needs is None or len(vectors) == 0:
        return out
    pks, scores = needs.search_many(vectors, k + len(exclude))
    dropped = (pks < 0) | np.isin(pks, list(exclude))
    kept_first = np.argsort(dropped, axis=1, kind="stable")[:, :k]  # the kept needs, still best first
    kept = np.where(np.take_along_axis(dropped, kept_first, 1), NO_RIVAL, np.take_along_axis(scores, kept_first, 1))
    out[:, : kept.shape[1]] = kept
    return out


def competition(own: np.ndarray, rivals: np.ndarray, tau: float = TAU) -> np.ndarray:
    """(n × 3) columns need_share, need_rank_rr, need_margin for cosines `own` (n) against `rivals` (n × k)."""
    present = rivals > NO_RIVAL
    top = np.maximum(own, rivals.max(axis=1, initial=NO_RIVAL))  # padding (−1) never exceeds a cosine
    mass = np.where(present, np.exp((rivals - top[:, None]) / tau), 0.0).sum(axis=1)
    mine = np.exp((own - top) / tau)
    share = mine / (mine + mass)
    rank_rr = 1.0 / (1.0 + (present & (rivals > own[:, None])).sum(axis=1))
    margin = own - rivals[:, 0] if rivals.shape[1] else own - NO_RIVAL
    return np.column_stack([share, rank_rr, margin])

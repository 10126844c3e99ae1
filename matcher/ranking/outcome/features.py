"""Pair features for (need, candidate outcome), computed in one place. The list `FEATURES` is the contract
between training, scoring and the model card; every feature is documented in `DESCRIPTIONS`.

Missing values: a candidate a retriever did not return gets rank feature 0 (1/rank → 0) and its exact score
computed against the stored vector / BM25 index, so no value is ever NaN. With no other stored need (or no need
index), `need_share` and `need_rank_rr` are 1 and the missing rival counts as cosine −1 (`competition.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from matcher.search.competition import competition
from matcher.search.fusion import FusionParams, ranks, rrf_scores
from matcher.search.prf import PRF_TOP, unit_mean
from matcher.search.query import Query
from matcher.store.views import OutcomeInfo
from matcher.text.tokenize import Tokenizer

KINDS = ("patent", "paper", "project", "achievement")
DESCRIPTIONS: dict[str, str] = {
    "dense_cos": "cosine of need text and outcome embeddings",
    "dense_cos_title": "cosine of the need title alone and the outcome embedding",
    "dense_z": "dense_cos as a z-score within the need's candidates",
    "dense_title_z": "dense_cos_title as a z-score within the need's candidates",
    "bm25": "BM25 score of the outcome for the need's tokens",
    "bm25_norm": "BM25 divided by the best BM25 among the need's candidates",
    "bm25_z": "BM25 as a z-score within the need's candidates",
    "bm25_rr": "1 / BM25 rank among the candidates",
    "dense_rr": "1 / dense rank among the candidates",
    "rrf": "reciprocal-rank fusion of the two ranks (k = MATCHER_RRF_K, 60 by default)",
    "kw_idf_cover": "IDF mass of the need's keywords found in the outcome / total keyword IDF mass",
    "kw_hits": "number of the need's keywords found in the outcome",
    "title_cover": "share of the need title's tokens found in the outcome",
    "title_jaccard": "Jaccard overlap of need-title tokens and outcome tokens",
    "field_match": "1 same field, 0 different, 0.5 unknown",
    "region_match": "1 same region (本地转化), 0 different, 0.5 unknown",
    "age": "years since the outcome (0 if unknown)",
    "outcome_len": "log(1 + number of outcome tokens)",
    "need_len": "log(1 + number of need tokens)",
    "n_experts": "number of experts linked to the outcome",
    "expert_support": "most candidate outcomes held by one of this outcome's experts (roll-up support)",
    "track_record": "accepted staff feedback on this outcome's experts (log1p)",
    "need_share": "the need's share of a softmax (τ 0.02) over it and the outcome's nearest other stored needs",
    "need_rank_rr": "1 / (1 + other stored needs closer to the outcome than this need)",
    "need_margin": "cosine with this need minus the outcome's best cosine with another stored need (−1 if none)",
    "prf_cos": f"cosine of the outcome with the mean vector of the need's top {PRF_TOP} candidates by rrf "
    "(pseudo-relevance)",
    **{f"kind_{k}": f"outcome kind is {k}" for k in KINDS},
}
FEATURES: tuple[str, ...] = tuple(DESCRIPTIONS)


@dataclass
class Candidates:
    """Raw signals of one need's candidate outcomes, aligned by position."""

    pks: list[int]
    bm25: np.ndarray
    dense: np.ndarray
    dense_title: np.ndarray
    rivals: np.ndarray | None = None  # cosines with the nearest other stored needs (competition.rival_cosines)
    vectors: np.ndarray | None = None  # the candidates' stored vectors, for prf_cos


def _z(x: np.ndarray) -> np.ndarray:
    std = float(x.std()) if len(x) > 1 else 0.0
    return (x - x.mean()) / std if std > 0 else np.zeros_like(x)


def _match(a: str | None, b: str | None) -> float:
    return 0.5 if not a or not b else float(a == b)


def _overlap(query: Query, info: OutcomeInfo, tokenizer: Tokenizer, title_tokens: set[str]) -> list[float]:
    tokens = set(info.tokens.split())
    hits = [k for k in query.keywords if k in tokens]
    total = sum(tokenizer.idf(k) for k in query.keywords) or 1.0
    union = title_tokens | tokens
    return [
        sum(tokenizer.idf(k) for k in hits) / total,
        float(len(hits)),
        len(title_tokens & tokens) / len(title_tokens) if title_tokens else 0.0,
        len(title_tokens & tokens) / len(union) if union else 0.0,
    ]


def _support(pks: list[int], infos: dict[int, OutcomeInfo]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for pk in pks:
        for expert in infos[pk].experts if pk in infos else []:
            counts[expert.pk] = counts.get(expert.pk, 0) + 1
    return counts


def pair_features(
    query: Query,
    cands: Candidates,
    infos: dict[int, OutcomeInfo],
    tokenizer: Tokenizer,
    *,
    track_record: dict[int, int] | None = None,
    now_year: int | None = None,
    rrf_k: int = 60,
) -> np.ndarray:
    """Feature matrix (len(cands.pks) × len(FEATURES)) in the order of FEATURES."""
    now_year = now_year or date.today().year
    bm25, dense, dense_title = cands.bm25.astype(float), cands.dense.astype(float), cands.dense_title.astype(float)
    bm25_rank, dense_rank = ranks(bm25), ranks(dense)
    bm25_rr, dense_rr = np.where(bm25 > 0, 1.0 / bm25_rank, 0.0), 1.0 / dense_rank
    rrf = rrf_scores(bm25, dense, FusionParams(rrf_k=rrf_k))  # the feature is RRF with unit weights
    best = float(bm25.max()) if len(bm25) and bm25.max() > 0 else 1.0
    support = _support(cands.pks, infos)
    title_tokens = set(query.title_tokens)
    rows = []
    for i, pk in enumerate(cands.pks):
        info = infos[pk]
        n_tokens = len(info.tokens.split())
        record = sum((track_record or {}).get(e.pk, 0) for e in info.experts)
        rows.append(
            [
                dense[i],
                dense_title[i],
                0.0,
                0.0,
                bm25[i],
                bm25[i] / best,
                0.0,
                bm25_rr[i],
                dense_rr[i],
                rrf[i],
                *_overlap(query, info, tokenizer, title_tokens),
                _match(query.field, info.field),
                _match(query.region, info.region),
                float(now_year - info.year) if info.year else 0.0,
                float(np.log1p(n_tokens)),
                float(np.log1p(len(query.tokens))),
                float(len(info.experts)),
                float(max((support.get(e.pk, 0) for e in info.experts), default=0)),
                float(np.log1p(record)),
                0.0,
                0.0,
                0.0,
                0.0,
                *[float(info.kind == k) for k in KINDS],
            ]
        )
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(cands.pks), len(FEATURES))
    matrix[:, FEATURES.index("dense_z")] = _z(dense)
    matrix[:, FEATURES.index("dense_title_z")] = _z(dense_title)
    matrix[:, FEATURES.index("bm25_z")] = _z(bm25)
    rivals = cands.rivals if cands.rivals is not None else np.zeros((len(dense), 0))
    first = FEATURES.index("need_share")
    matrix[:, first : first + 3] = competition(dense, rivals)
    matrix[:, FEATURES.index("prf_cos")] = prf_cosines(cands.vectors, rrf)
    return matrix


def prf_cosines(vectors: np.ndarray | None, order_by: np.ndarray, k: int = PRF_TOP) -> np.ndarray:
    """Cosine of each candidate vector with the unit mean of the `k` best candidates by `order_by`."""
    if vectors is None:
        return np.zeros(len(order_by))
    head = unit_mean(vectors[np.argsort(-order_by, kind="stable")[:k]])
    return np.zeros(len(order_by)) if head is None else vectors @ head

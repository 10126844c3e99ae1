"""Expert-level features: how well one expert's whole record answers a need, beyond the votes of its
retrieved outcomes. They feed the expert ranker (`expert/rerank.py`), which orders the expert pool.

For a need, the pool (`pool.py`) holds the experts with the best hybrid vote, the best cosine over a deeper
dense search and the best profile BM25; all of each candidate's outcomes are then scored exactly (cosine, BM25,
shared character bigrams of titles). Evidence beyond the expert's own outcomes (colleagues at the same
institution, the centroid of the expert's vectors) comes from `colleagues.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.index.loaded import Indexes
from matcher.ranking.expert.colleagues import (
    centroid_cosine,
    colleague_row,
    institution_ranks,
    institutions_of,
    ranks_by_institution,
)
from matcher.ranking.expert.pool import PoolParams, extra_items, pool_sources, top_by
from matcher.search.prf import PRF_TOP, unit_mean
from matcher.search.query import Query
from matcher.search.results import Scored
from matcher.search.vote import VoteParams, rank_vote
from matcher.store.tables import Expert, Outcome, OutcomeExpert

MISSING_RANK = 400
# the vote the vote features are defined with: fixed by the features (a trained ranker must not see its inputs move
# when a deployment changes the roll-up's MATCHER_ROLLUP_DEPTH / MATCHER_ROLLUP_DECAY)
FEATURE_VOTE = VoteParams()
BASE = [
    ("vote_hybrid", "按融合排名投票的得分（现有汇总方法）"),
    ("vote_bm25", "按 BM25 排名投票的得分"),
    ("vote_dense", "按向量排名投票的得分"),
    ("cos_max", "专家全部成果与需求的最高余弦相似度"),
    ("cos_mean", "专家全部成果与需求的平均余弦相似度"),
    ("bm25_max", "专家全部成果的最高 BM25 得分"),
    ("log_rank_fused", "最佳成果的融合排名（对数）"),
    ("log_rank_bm25", "最佳成果的 BM25 排名（对数）"),
    ("log_rank_dense", "最佳成果的向量排名（对数）"),
    ("log_outcomes", "专家成果总数（对数）"),
    ("in_pool", "进入候选池的成果数"),
    ("years_since_last", "距最近一项成果的年数"),
    ("log_institution_size", "所在单位的成果总数（对数）"),
    ("bigram_jaccard_max", "标题字二元组的最高 Jaccard 重合"),
    ("bigram_cover_max", "需求字二元组被单项成果标题覆盖的最高比例"),
    ("bigram_cover_profile", "需求字二元组被专家全部成果标题覆盖的比例"),
    ("near_best", "与最佳成果相似度相差 0.02 以内的成果数"),
    ("profile_bm25", "专家全部成果合为一篇（专家画像）的 BM25 得分"),
    ("colleague_vote", "同单位其他成果按融合排名投票的得分"),
    ("log_rank_institution", "所在单位按融合排名投票的名次（对数）"),
    ("cos_centroid", "需求与专家全部成果向量中心的余弦相似度"),
    ("cos_prf_max", f"专家成果与融合排名前 {PRF_TOP} 项成果向量中心的最高余弦相似度（伪相关反馈）"),
]
RELATIVE = ["vote_hybrid", "vote_bm25", "vote_dense", "cos_max", "bm25_max", "bigram_jaccard_max", "bigram_cover_max"]
RELATIVE += ["bigram_cover_profile", "profile_bm25", "colleague_vote", "cos_centroid", "cos_prf_max"]
DEFAULT_POOL = PoolParams()
OWN = [name for name, _ in BASE].index("profile_bm25") + 1  # the columns computed from the expert's own record
EXPERT_FEATURES = [name for name, _ in BASE] + [f"{name}_vs_best" for name in RELATIVE]


@dataclass
class Record:
    """One candidate expert's outcomes with their exact scores for the need."""

    expert_id: str
    institution_pk: int | None
    pks: list[int] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    years: list[int | None] = field(default_factory=list)


@dataclass
class ExpertCandidates:
    ids: list[str]
    X: np.ndarray
    extra: list[Scored] = field(default_factory=list)  # the pool experts' outcomes, as roll-up items adding no vote


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def vote(ranks: list[int]) -> float:
    """The roll-up's vote over retrieval ranks, with the vote the features are defined by."""
    return rank_vote(ranks, FEATURE_VOTE)


def institution_sizes(session: Session) -> dict[int, int]:
    rows = session.execute(select(Outcome.institution_pk, func.count()).group_by(Outcome.institution_pk))
    return {pk: n for pk, n in rows if pk is not None}


def records(session: Session, pool: list[int], experts: list[int] | None = None) -> dict[int, Record]:
    """Expert pk → the expert's whole record, for every expert owning an outcome in `pool` and every expert pk
    in `experts`."""
    owners = select(OutcomeExpert.expert_pk).where(OutcomeExpert.outcome_pk.in_(pool))
    wanted = Expert.pk.in_(owners) | Expert.pk.in_(experts or [])
    rows = session.execute(
        select(Expert.pk, Expert.id, Expert.institution_pk, Outcome.pk, Outcome.title, Outcome.year)
        .join(OutcomeExpert, OutcomeExpert.expert_pk == Expert.pk)
        .join(Outcome, Outcome.pk == OutcomeExpert.outcome_pk)
        .where(wanted)
        .order_by(Expert.pk, Outcome.pk)
    )
    found: dict[int, Record] = {}
    for epk, eid, inst, opk, title, year in rows:
        rec = found.setdefault(epk, Record(eid, inst))
        rec.pks.append(opk)
        rec.titles.append(title)
        rec.years.append(year)
    return found


def rank_maps(fused: list[Scored]) -> dict[str, dict[int, int]]:
    """Outcome pk → rank (1-based) in the fused list and in the BM25 and dense lists it was fused from."""
    return {
        "fused": {s.pk: r for r, s in enumerate(fused, 1)},
        "bm25": {s.pk: s.components.bm25_rank for s in fused if s.components.bm25_rank},
        "dense": {s.pk: s.components.dense_rank for s in fused if s.components.dense_rank},
    }


def _row(
    rec: Record, cos: np.ndarray, bm: np.ndarray, ranks: dict, qb: set[str], sizes: Mapping[int, int]
) -> list[float]:
    def ranks_of(name: str) -> list[int]:
        return [ranks[name][p] for p in rec.pks if p in ranks[name]]

    grams = [bigrams(t) for t in rec.titles]
    jaccard = [len(qb & g) / max(1, len(qb | g)) for g in grams]
    cover = [len(qb & g) / max(1, len(qb)) for g in grams]
    years = [y for y in rec.years if y]
    return [
        vote(ranks_of("fused")),
        vote(ranks_of("bm25")),
        vote(ranks_of("dense")),
        float(cos.max()),
        float(cos.mean()),
        float(bm.max()),
        *(math.log(min(ranks_of(n) or [MISSING_RANK])) for n in ("fused", "bm25", "dense")),
        math.log1p(len(rec.pks)),
        float(len(ranks_of("fused"))),
        float(date.today().year - max(years)) if years else 10.0,
        math.log1p(sizes.get(rec.institution_pk, 0) if rec.institution_pk else 0),
        max(jaccard),
        max(cover),
        len(qb & set().union(*grams)) / max(1, len(qb)),
        float((cos > cos.max() - 0.02).sum()),
    ]


def expert_candidates(
    query: Query,
    fused: list[Scored],
    *,
    indexes: Indexes,
    session: Session,
    sizes: Mapping[int, int],
    pool: PoolParams = DEFAULT_POOL,
) -> ExpertCandidates:
    """The expert ranker's pool for `query` (`pool.py`: best by vote, by deeper dense search, by profile BM25)
    with their feature rows (EXPERT_FEATURES), ordered by hybrid vote. `fused` is the need's fused candidate list,
    `sizes` the outcomes per institution (`institution_sizes`)."""
    sources = pool_sources(indexes, query, fused, pool)
    ranks = rank_maps(fused)
    ranks["dense"] = {**sources.deep_rank, **ranks["dense"]}  # the same vector searched deeper
    recs = list(records(session, sources.outcome_pks(), list(sources.profile)).items())
    holder = institutions_of(session, list(ranks["fused"]))
    if not recs:
        return ExpertCandidates([], np.zeros((0, len(EXPERT_FEATURES))))
    scores = _exact_scores(indexes, query, recs)
    chosen = _select(recs, ranks, scores, pool, bool(sources.profile))
    X = np.hstack(
        [
            _feature_rows(query, chosen, ranks, scores, sizes),
            _colleague_rows(chosen, ranks["fused"], holder),
            _centroid_column(query, chosen, scores),
            _prf_column(indexes, fused, chosen, scores),
        ]
    )
    col = EXPERT_FEATURES.index
    best = X[:, [col(n) for n in RELATIVE]].max(axis=0)
    X = np.hstack([X, X[:, [col(n) for n in RELATIVE]] - best])
    outcomes = sorted({p for _, r in chosen for p in r.pks})
    return ExpertCandidates([r.expert_id for _, r in chosen], X, extra_items(sources, outcomes))


@dataclass
class ExactScores:
    """Every candidate outcome's stored vector, cosine and BM25 for the need, and every candidate expert's profile
    BM25."""

    cos: dict[int, float]
    bm25: dict[int, float]
    profile: dict[int, float]
    vectors: dict[int, np.ndarray]


def _exact_scores(idx: Indexes, query: Query, recs: list[tuple[int, Record]]) -> ExactScores:
    every = sorted({p for _, r in recs for p in r.pks})
    experts = [pk for pk, _ in recs]
    profile = idx.experts.score_pks(query.terms, experts) if idx.experts is not None else np.zeros(len(experts))
    vectors = idx.dense.vectors(every)
    return ExactScores(
        dict(zip(every, vectors @ np.asarray(query.vector, dtype=np.float32), strict=True)),
        dict(zip(every, idx.lexical.score_pks(query.terms, every), strict=True)),
        dict(zip(experts, np.asarray(profile).tolist(), strict=True)),
        dict(zip(every, vectors, strict=True)),
    )


def _select(
    recs: list[tuple[int, Record]],
    ranks: dict[str, dict[int, int]],
    scores: ExactScores,
    pool: PoolParams,
    with_profile: bool,
) -> list[tuple[int, Record]]:
    """The pool (`pool.py`) out of every candidate, by the three keys its sources rank by, ordered by hybrid
    vote (ties by expert id); only the chosen experts get full feature rows."""
    by_vote = np.array([vote([ranks["fused"][p] for p in r.pks if p in ranks["fused"]]) for _, r in recs])
    by_cos = np.array([max(scores.cos[p] for p in r.pks) for _, r in recs])
    by_profile = np.array([scores.profile[pk] for pk, _ in recs])
    keep = top_by(by_vote, pool.vote_top) | top_by(by_cos, pool.dense_top)
    keep |= top_by(by_profile, pool.profile_top if with_profile else 0)
    ids = np.array([r.expert_id for _, r in recs])
    return [recs[i] for i in np.lexsort((ids, -by_vote)).tolist() if i in keep]


def _feature_rows(
    query: Query,
    recs: list[tuple[int, Record]],
    ranks: dict[str, dict[int, int]],
    scores: ExactScores,
    sizes: Mapping[int, int],
) -> np.ndarray:
    """BASE feature rows of the chosen experts (all their outcomes scored exactly)."""
    qb = bigrams(query.text)
    rows = [
        [
            *_row(
                r, np.array([scores.cos[p] for p in r.pks]), np.array([scores.bm25[p] for p in r.pks]), ranks, qb, sizes
            ),
            scores.profile[pk],
        ]
        for pk, r in recs
    ]
    return np.asarray(rows, dtype=float).reshape(len(recs), OWN)


def _colleague_rows(recs: list[tuple[int, Record]], fused_rank: dict[int, int], holder: dict[int, int]) -> np.ndarray:
    """colleague_vote and log_rank_institution of the chosen experts (`colleagues.py`)."""
    by_inst = ranks_by_institution(fused_rank, holder)
    inst_rank = institution_ranks(by_inst, vote)
    rows = [colleague_row(r.institution_pk, r.pks, by_inst, inst_rank, vote, MISSING_RANK) for _, r in recs]
    return np.asarray(rows, dtype=float).reshape(len(recs), 2)


def _centroid_column(query: Query, recs: list[tuple[int, Record]], scores: ExactScores) -> np.ndarray:
    """cos_centroid of the chosen experts, from the stored vectors `scores` holds."""
    q = np.asarray(query.vector, dtype=np.float32).reshape(-1)  # unit length, as every stored vector
    column = [centroid_cosine(np.vstack([scores.vectors[p] for p in r.pks]), q) for _, r in recs]
    return np.asarray(column, dtype=float).reshape(len(recs), 1)


def _prf_column(idx: Indexes, fused: list[Scored], recs: list[tuple[int, Record]], scores: ExactScores) -> np.ndarray:
    """cos_prf_max of the chosen experts: their best outcome's cosine with the unit mean of the PRF_TOP best fused
    outcomes (0 when nothing was fused)."""
    head = unit_mean(idx.dense.vectors([s.pk for s in fused[:PRF_TOP]])) if fused else None
    column = [0.0 if head is None else max(float(scores.vectors[p] @ head) for p in r.pks) for _, r in recs]
    return np.asarray(column, dtype=float).reshape(len(recs), 1)

"""Run every system side by side on judged needs: BM25, dense, hybrid (RRF) and the learned ranker.

Protocols: `judged` ranks only each need's judged candidates (the BDCI rerank protocol); `all` ranks the whole
corpus (the engine's retrieval and re-rank depths; unjudged = irrelevant, and the `cv` ranker trains on that
pool). Levels: outcome, or expert / institution via the same
roll-up the engine uses. The ranker is the active model, one trained on other files, or (`cv`) out-of-fold
models trained on the evaluation needs themselves, grouped by need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from matcher.errors import InputError
from matcher.learn.rows import judged_set
from matcher.levels import EXPERT, FORWARD, level_of
from matcher.match import forward
from matcher.ranking.cv import JudgedSet, nested_folds
from matcher.ranking.model import Ranker, relevant_at
from matcher.ranking.outcome.features import FEATURES
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.ranking.qrels import Qrels
from matcher.rollup.vote import roll_up
from matcher.search.degree import probabilities
from matcher.search.fusion import FusionParams, fuse_scores, vote_weight
from matcher.search.query import Query
from matcher.search.results import Components, Scored
from matcher.search.vote import VoteParams
from matcher.store.tables import Need, Outcome
from matcher.store.views import OutcomeInfo
from matcher.workspace.context import Context

DEPTH = 100
SYSTEMS = ("bm25", "dense", "hybrid", "ranker")
Ranking = dict[str, dict[str, float]]


@dataclass
class NeedCandidates:
    qid: str
    query: Query
    pks: list[int]
    X: np.ndarray
    infos: dict[int, OutcomeInfo]


def _pool(ctx: Context, query: Query, pool: str, judged: list[int]) -> list[int]:
    """The judged outcomes, or the engine's own hybrid retrieval: MATCHER_RETRIEVE_DEPTH per retriever (BM25 and
    dense), the first MATCHER_RERANK_DEPTH of the fused list (what the engine's ranker re-scores)."""
    if pool == "judged":
        return judged
    return [item.pk for item in forward.candidates(ctx, query)[: ctx.settings.rerank_depth]]


def collect(
    ctx: Context, qrels: Qrels, *, pool: str, level: str, progress: Callable[[int], None] | None = None
) -> list[NeedCandidates]:
    """Candidates and their features for every judged need present in the workspace."""
    with ctx.session() as session:
        pk_of = {oid: pk for oid, pk in session.execute(select(Outcome.id, Outcome.pk))}
        known = set(session.scalars(select(Need.id)))
    out = []
    for qid, judged in qrels.items():
        if qid not in known:
            continue
        query = forward.need_query(ctx, qid)
        judged_pks = [pk_of[t] for t in judged if t in pk_of] if not level_of(level).votes else []
        pks = _pool(ctx, query, pool, judged_pks)
        if pks:
            X, infos = forward.outcome_features(ctx, query, pks)
            pks = [p for p in pks if p in infos]
            out.append(NeedCandidates(qid, query, pks, X, infos))
        if progress:
            progress(1)
    return out


def _scores(
    item: NeedCandidates, system: str, ranker_scores: dict[str, np.ndarray], fusion: FusionParams
) -> np.ndarray:
    col = {name: item.X[:, FEATURES.index(name)] for name in ("bm25", "dense_cos")}
    if system == "bm25":
        return col["bm25"]
    if system == "dense":
        return col["dense_cos"]
    if system == "hybrid":
        return fuse_scores(col["bm25"], col["dense_cos"], fusion)
    return ranker_scores[item.qid]


def pool_set(items: list[NeedCandidates], qrels: Qrels) -> JudgedSet:
    """Training rows for the `all` protocol: every retrieved candidate of every need, graded by `qrels` (unjudged
    = 0, as the protocol scores them). Only retrieved candidates: features ranked or normalised within a need's
    candidates (`dense_rr`, `bm25_z`, …) must be computed over the same kind of list the ranker will order."""
    X: list[np.ndarray] = []
    y: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    queries: list[str] = []
    targets: list[str] = []
    for item in items:
        ids = [item.infos[pk].id for pk in item.pks]
        X.append(item.X)
        y.append(np.array([float(qrels.get(item.qid, {}).get(i, 0)) for i in ids]))
        groups.append(np.full(len(ids), len(queries)))
        queries.append(item.qid)
        targets += ids
    if not X:
        raise InputError("no evaluated need has retrieved candidates")
    return JudgedSet(np.vstack(X), np.concatenate(y), np.concatenate(groups).astype(int), queries, targets)


def cv_scores(
    ctx: Context,
    qrels: Qrels,
    items: list[NeedCandidates],
    folds: int,
    progress: Callable[[int], None] | None = None,
    *,
    pool_rows: bool = False,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]], dict[str, np.ndarray]]:
    """Ranker scores for each need from a model that never saw it: for every outer fold of needs, the
    configuration is chosen by an inner grouped CV on the training needs only (nested CV), then refitted. Also the
    calibrated probabilities of relevance (匹配度 / 100) the same models give, for the calibration report.
    `pool_rows`: train on the retrieved candidates instead of the judged pairs (`pool_set`), for the `all`
    protocol."""
    ts = pool_set(items, qrels) if pool_rows else judged_set(ctx, qrels)
    by_qid = {it.qid: it for it in items}
    scores: dict[str, np.ndarray] = {}
    probs: dict[str, np.ndarray] = {}
    chosen = []
    split = np.array([it.qid for it in items])
    for model, best, test in nested_folds(
        ts, qrels, Ranker, list(OUTCOME_RANKER.grid), OUTCOME_RANKER.selection, split=split, outer=folds
    ):
        chosen.append(best)
        for qid in test:
            scores[qid] = model.decision_function(by_qid[qid].X)
            probs[qid] = probabilities(model.match_score(by_qid[qid].X))  # type: ignore[attr-defined]
        if progress:
            progress(1)
    return scores, chosen, probs


def judged_probabilities(
    items: list[NeedCandidates], probs: dict[str, np.ndarray], qrels: Qrels
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted probability, 1 if relevant) for every judged candidate of the held-out needs; relevant means a
    grade at or above the ranker's threshold for these judgements (`relevant_at`)."""
    threshold = relevant_at(np.array([g for judged in qrels.values() for g in judged.values()] or [1]))
    pairs = [
        (float(p), float(qrels[it.qid][it.infos[pk].id] >= threshold))
        for it in items
        if it.qid in probs
        for pk, p in zip(it.pks, probs[it.qid], strict=True)
        if it.infos[pk].id in qrels.get(it.qid, {})
    ]
    return np.array([p for p, _ in pairs]), np.array([y for _, y in pairs])


def _system_scores(
    items: list[NeedCandidates], ranker_scores: dict[str, np.ndarray] | None, fusion: FusionParams
) -> Iterator[tuple[str, NeedCandidates, np.ndarray, np.ndarray]]:
    """(system, need, candidate scores, candidate order best first) for every system that has scores."""
    for system in SYSTEMS:
        if system == "ranker" and ranker_scores is None:
            continue
        for item in items:
            scores = _scores(item, system, ranker_scores or {}, fusion)
            yield system, item, scores, np.argsort(-scores, kind="stable")


def outcome_runs(
    items: list[NeedCandidates], ranker_scores: dict[str, np.ndarray] | None, fusion: FusionParams
) -> dict[str, Ranking]:
    runs: dict[str, Ranking] = {}
    for system, item, s, order in _system_scores(items, ranker_scores, fusion):
        runs.setdefault(system, {})[item.qid] = {item.infos[item.pks[i]].id: float(s[i]) for i in order[:DEPTH]}
    return runs


def rolled_runs(
    items: list[NeedCandidates],
    ranker_scores: dict[str, np.ndarray] | None,
    level: str,
    params: VoteParams,
    fusion: FusionParams,
) -> dict[str, Ranking]:
    """Expert or institution rankings rolled up from each system's outcome ranking."""
    runs: dict[str, Ranking] = {}
    spec = level_of(level, FORWARD)
    for system, item, s, order in _system_scores(items, ranker_scores, fusion):
        norm = _normalise(s[order], system)
        scored = [Scored(item.pks[i], float(v), Components(float(v))) for i, v in zip(order, norm, strict=True)]
        hits = roll_up(spec, scored, item.infos, [], DEPTH, params)
        runs.setdefault(system, {})[item.qid] = {(h.id if spec is EXPERT else h.name): float(h.score) for h in hits}
    return runs


def _normalise(sorted_scores: np.ndarray, system: str) -> np.ndarray:
    """Vote weights in [0, 1]: the engine's `vote_weight` of the rank for the retrieval systems, min-max for the
    ranker."""
    if system != "ranker":
        return np.asarray(vote_weight(np.arange(1, len(sorted_scores) + 1)))
    low, high = float(sorted_scores.min()), float(sorted_scores.max())
    return (sorted_scores - low) / (high - low) if high > low else np.ones_like(sorted_scores)

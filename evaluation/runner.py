"""Run every system side by side on judged needs: BM25, dense, hybrid (RRF) and the learned ranker.

Protocols: `judged` ranks only each need's judged candidates (the BDCI rerank protocol); `all` ranks the whole
corpus (retrieval depth 100; unjudged = irrelevant). Levels: outcome, or expert / institution via the same
roll-up the engine uses. The ranker is the active model, one trained on other files, or (`cv`) out-of-fold
models trained on the evaluation needs themselves, grouped by need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold
from sqlalchemy import select

from matcher.engine import Matcher
from matcher.features import ranks
from matcher.results import Components
from matcher.retrieve import Query
from matcher.rollup import Scored, VoteParams, expert_hits, institution_hits
from matcher.store.tables import Need, Outcome
from matcher.store.views import OutcomeInfo
from matcher.train import Qrels, TrainingSet, judged_set, select_and_fit

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


def _pool(matcher: Matcher, query: Query, pool: str, judged: list[int]) -> list[int]:
    if pool == "judged":
        return judged
    idx = matcher.indexes
    found = list(idx.lexical.search(query.tokens, DEPTH)[0].tolist()) + list(idx.dense.search(query.vector, DEPTH)[0])
    return list(dict.fromkeys(int(p) for p in found))


def collect(
    matcher: Matcher, qrels: Qrels, *, pool: str, level: str, progress: Callable[[int], None] | None = None
) -> list[NeedCandidates]:
    """Candidates and their features for every judged need present in the workspace."""
    with matcher.sessions() as session:
        pk_of = {oid: pk for oid, pk in session.execute(select(Outcome.id, Outcome.pk))}
        known = set(session.scalars(select(Need.id)))
    out = []
    for qid, judged in qrels.items():
        if qid not in known:
            continue
        query = matcher.need_query(qid)
        judged_pks = [pk_of[t] for t in judged if t in pk_of] if level == "outcome" else []
        pks = _pool(matcher, query, pool, judged_pks)
        if pks:
            X, infos = matcher.features(query, pks)
            pks = [p for p in pks if p in infos]
            out.append(NeedCandidates(qid, query, pks, X, infos))
        if progress:
            progress(1)
    return out


def _scores(item: NeedCandidates, system: str, ranker_scores: dict[str, np.ndarray]) -> np.ndarray:
    from matcher.features import FEATURES

    col = {name: item.X[:, FEATURES.index(name)] for name in ("bm25", "dense_cos")}
    if system == "bm25":
        return col["bm25"]
    if system == "dense":
        return col["dense_cos"]
    if system == "hybrid":
        return np.where(col["bm25"] > 0, 1 / (60 + ranks(col["bm25"])), 0) + 1 / (60 + ranks(col["dense_cos"]))
    return ranker_scores[item.qid]


def cv_scores(
    matcher: Matcher,
    qrels: Qrels,
    items: list[NeedCandidates],
    folds: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """Ranker scores for each need from a model that never saw it: for every outer fold of needs, the
    configuration is chosen by an inner grouped CV on the training needs only (nested CV), then refitted."""
    ts = judged_set(matcher, qrels)
    qids = np.array([it.qid for it in items])
    scores: dict[str, np.ndarray] = {}
    chosen = []
    for train_idx, test_idx in GroupKFold(n_splits=min(folds, len(items))).split(qids, groups=qids):
        train_q = {str(qids[i]) for i in train_idx}
        keep = np.flatnonzero([ts.queries[g] in train_q for g in ts.groups])
        inner = _subset(ts, keep)
        model, cv = select_and_fit(inner, {q: qrels[q] for q in inner.queries}, folds=folds)
        chosen.append(cv["best"])
        for i in test_idx:
            scores[items[i].qid] = model.decision_function(items[i].X)
        if progress:
            progress(1)
    return scores, chosen


def _subset(ts: TrainingSet, rows: np.ndarray) -> TrainingSet:
    groups = ts.groups[rows]
    keep_queries = sorted(set(groups.tolist()))
    remap = {g: i for i, g in enumerate(keep_queries)}
    return TrainingSet(
        ts.X[rows],
        ts.y[rows],
        np.array([remap[g] for g in groups]),
        [ts.queries[g] for g in keep_queries],
        [ts.targets[r] for r in rows],
    )


def _system_scores(
    items: list[NeedCandidates], ranker_scores: dict[str, np.ndarray] | None
) -> Iterator[tuple[str, NeedCandidates, np.ndarray, np.ndarray]]:
    """(system, need, candidate scores, candidate order best first) for every system that has scores."""
    for system in SYSTEMS:
        if system == "ranker" and ranker_scores is None:
            continue
        for item in items:
            scores = _scores(item, system, ranker_scores or {})
            yield system, item, scores, np.argsort(-scores, kind="stable")


def outcome_runs(items: list[NeedCandidates], ranker_scores: dict[str, np.ndarray] | None) -> dict[str, Ranking]:
    runs: dict[str, Ranking] = {}
    for system, item, s, order in _system_scores(items, ranker_scores):
        runs.setdefault(system, {})[item.qid] = {item.infos[item.pks[i]].id: float(s[i]) for i in order[:DEPTH]}
    return runs


def rolled_runs(
    items: list[NeedCandidates], ranker_scores: dict[str, np.ndarray] | None, level: str, params: VoteParams
) -> dict[str, Ranking]:
    """Expert or institution rankings rolled up from each system's outcome ranking."""
    roll = expert_hits if level == "expert" else institution_hits
    runs: dict[str, Ranking] = {}
    for system, item, s, order in _system_scores(items, ranker_scores):
        norm = _normalise(s[order], system)
        scored = [Scored(item.pks[i], float(v), Components(float(v))) for i, v in zip(order, norm, strict=True)]
        hits = roll(scored, item.infos, [], DEPTH, params)
        runs.setdefault(system, {})[item.qid] = {(h.id if level == "expert" else h.name): float(h.score) for h in hits}
    return runs


def _normalise(sorted_scores: np.ndarray, system: str) -> np.ndarray:
    """Vote weights in [0, 1]: 1/sqrt(rank) for the retrieval systems (as the engine), min-max for the ranker."""
    if system != "ranker":
        return np.arange(1, len(sorted_scores) + 1) ** -0.5
    low, high = float(sorted_scores.min()), float(sorted_scores.max())
    return (sorted_scores - low) / (high - low) if high > low else np.ones_like(sorted_scores)

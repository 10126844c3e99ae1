"""The reverse direction (成果找企业) on the forward judgements, inverted: for each outcome with a relevant need,
rank every need. Systems: BM25 and dense over the need index, hybrid (the engine's reverse search, as served),
and the forward ranker carried over — its calibrated P(relevant | need, outcome), out of fold (nested CV grouped
by need), which is comparable across needs where raw pairwise scores are not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from sqlalchemy import select

from evaluation.runner import NeedCandidates, cv_scores
from matcher.index.needs import NeedIndexes
from matcher.levels import EXPERT, level_of
from matcher.match import forward
from matcher.match import reverse as served_reverse
from matcher.ranking.qrels import Qrels, Ranking
from matcher.search.fusion import FusionParams, vote_weight
from matcher.search.needs import search_needs
from matcher.search.probe import Probe
from matcher.store.tables import Expert, Need, Outcome
from matcher.workspace.context import Context

TIE = 1e-6  # the ranker's decision value breaks ties between equal calibrated probabilities


def _needs_by_pk(ctx: Context) -> dict[int, str]:
    with ctx.session() as session:
        return {pk: nid for pk, nid in session.execute(select(Need.pk, Need.id))}


def probes_for(ctx: Context, ids: list[str], level: str = "outcome") -> dict[str, Probe]:
    """A probe for every id of the judgements that the workspace holds: outcomes, or experts (their outcomes)."""
    table = Expert if level_of(level) is EXPERT else Outcome
    with ctx.session() as session:
        known = set(session.scalars(select(table.id).where(table.id.in_(ids))))
    if level_of(level) is EXPERT:
        return {e: served_reverse.probe(ctx, expert_id=e) for e in ids if e in known}
    return {o: served_reverse.probe(ctx, outcome_id=o) for o in ids if o in known}


def votes(rankings: list[np.ndarray]) -> dict[int, float]:
    """Σ 1/√rank over several rankings of need pks (one per outcome of the probe) — the engine's combination."""
    found: dict[int, float] = defaultdict(float)
    for pks in rankings:
        for rank, pk in enumerate(pks.tolist(), 1):
            found[int(pk)] += float(vote_weight(rank))
    return dict(found)


def retrieval_runs(ctx: Context, probes: dict[str, Probe]) -> dict[str, Ranking]:
    """BM25, dense and hybrid rankings of every need for every probe (each outcome of a probe ranks the needs;
    the rankings are combined as the engine combines them)."""
    index: NeedIndexes | None = served_reverse.need_index(ctx)
    assert index is not None, "a fresh index always has a need index"
    names, depth = _needs_by_pk(ctx), index.count
    params = FusionParams.from_settings(ctx.settings)
    runs: dict[str, Ranking] = {"bm25": {}, "dense": {}, "hybrid": {}}
    for qid, probe in probes.items():
        bm25 = votes([index.lexical.search(part.terms, depth)[0] for part in probe.parts])
        dense = votes([index.dense.search(part.vector, depth)[0] for part in probe.parts])
        runs["bm25"][qid] = {names[pk]: v for pk, v in bm25.items()}
        runs["dense"][qid] = {names[pk]: v for pk, v in dense.items()}
        runs["hybrid"][qid] = {names[f.pk]: f.score for f in search_needs(probe, index, depth=depth, params=params)}
    return runs


def forward_items(ctx: Context, outcome_ids: list[str], progress: Callable[[int], None] | None) -> list[NeedCandidates]:
    """Every need with the forward features of all probe outcomes as its candidates."""
    with ctx.session() as session:
        pks = list(session.scalars(select(Outcome.pk).where(Outcome.id.in_(outcome_ids)).order_by(Outcome.pk)))
        need_ids = list(session.scalars(select(Need.id).order_by(Need.pk)))
    items = []
    for qid in need_ids:
        query = forward.need_query(ctx, qid)
        X, infos = forward.outcome_features(ctx, query, pks)
        items.append(NeedCandidates(qid, query, [p for p in pks if p in infos], X, infos))
        if progress:
            progress(1)
    return items


def ranker_run(ctx: Context, qrels: Qrels, items: list[NeedCandidates]) -> tuple[Ranking, list[dict]]:
    """For each outcome: every need scored by the calibrated out-of-fold forward ranker."""
    scores, chosen, probs = cv_scores(ctx, qrels, items, folds=5)
    run: Ranking = {}
    for item in items:
        values = probs[item.qid] + TIE * scores[item.qid]
        for pk, value in zip(item.pks, values, strict=True):
            run.setdefault(item.infos[pk].id, {})[item.qid] = float(value)
    return run, chosen

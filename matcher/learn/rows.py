"""Training rows from a workspace: feature rows for judged (need, outcome) pairs, and each judged need's expert
pool — computed exactly as a match computes them (`match/forward.py`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

import numpy as np
from sqlalchemy import select

from matcher.errors import InputError, NotFoundError
from matcher.match import forward
from matcher.ranking.cv import JudgedSet
from matcher.ranking.expert.features import ExpertCandidates
from matcher.ranking.qrels import Qrels
from matcher.store.tables import Need, Outcome
from matcher.workspace.context import Context

Progress = Callable[[int], None] | None


def judged_set(ctx: Context, qrels: Qrels, progress: Progress = None) -> JudgedSet:
    """Feature rows for every judged (need, outcome) pair whose need and outcome are in the workspace."""
    with ctx.sessions() as session:
        pk_of = {oid: pk for oid, pk in session.execute(select(Outcome.id, Outcome.pk))}
        known_needs = set(session.scalars(select(Need.id)))
    blocks: list[np.ndarray] = []
    labels: list[int] = []
    groups: list[int] = []
    queries: list[str] = []
    targets: list[str] = []
    skipped: list[str] = []
    for qid, judged in qrels.items():
        pairs = [(t, g) for t, g in judged.items() if t in pk_of]
        if qid not in known_needs or not pairs:
            skipped.append(qid)
            continue
        X, _ = forward.outcome_features(ctx, forward.need_query(ctx, qid), [pk_of[t] for t, _ in pairs])
        blocks.append(X)
        labels += [g for _, g in pairs]
        groups += [len(queries)] * len(pairs)
        targets += [t for t, _ in pairs]
        queries.append(qid)
        if progress:
            progress(1)
    if not blocks:
        raise InputError("no judged pair matches a need and an outcome of the workspace")
    return JudgedSet(np.vstack(blocks), np.asarray(labels, float), np.asarray(groups), queries, targets, skipped)


def collect_experts(ctx: Context, qrels: Qrels, progress: Progress = None) -> dict[str, ExpertCandidates]:
    """Need id → its expert pool with feature rows (needs absent from the workspace skipped)."""
    found = {}
    for qid in qrels:
        with suppress(NotFoundError):  # judged but not among the needs given
            found[qid] = forward.expert_pool(ctx, forward.need_query(ctx, qid))
        if progress:
            progress(1)
    return found

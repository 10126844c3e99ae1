"""Training data and training for the expert ranker: judged (need, expert) pairs → features → model folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from matcher.artifact import swap_in
from matcher.errors import InputError, NotFoundError
from matcher.expert_features import ExpertCandidates, expert_candidates, institution_sizes
from matcher.expert_rank import select
from matcher.train import Qrels


def collect_experts(
    matcher: Any, qrels: Qrels, progress: Callable[[int], None] | None = None
) -> dict[str, ExpertCandidates]:
    """Need id → its top experts by hybrid vote with feature rows (needs absent from the workspace skipped)."""
    with matcher.sessions() as session:
        sizes = institution_sizes(session)
    found = {}
    for qid in qrels:
        with suppress(NotFoundError):  # judged but not among the needs given
            found[qid] = expert_candidates(matcher, matcher.need_query(qid), sizes=sizes)
        if progress:
            progress(1)
    return found


def stack(cands: dict[str, ExpertCandidates], qrels: Qrels) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Feature rows, binary labels, need index per row, and the need ids, for needs with candidates."""
    qids = [q for q, c in cands.items() if c.ids]
    if not qids:
        raise InputError("no judged need has candidate experts")
    X = np.vstack([cands[q].X for q in qids])
    y = np.concatenate([[int(qrels[q].get(e, 0) > 0) for e in cands[q].ids] for q in qids])
    groups = np.concatenate([[i] * len(cands[q].ids) for i, q in enumerate(qids)])
    return X, y, groups, qids


def train_expert_ranker(
    matcher: Any,
    qrels: Qrels,
    *,
    out: Path,
    name: str,
    sources: list[str],
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Choose the configuration by grouped CV, refit on all judged needs, save (skops + params.json)."""
    X, y, groups, qids = stack(collect_experts(matcher, qrels, progress), qrels)
    if y.sum() < 2:
        raise InputError("fewer than two judged experts are among the candidates: nothing to learn from")
    model, cv = select(X, y, groups, folds=min(4, len(qids)))
    summary = {
        "name": name,
        "embedder": matcher.embedder.name,
        "training": {"needs": len(qids), "rows": len(y), "relevant": int(y.sum())},
        "cv": cv,
        "sources": sources,
    }
    staging = out.with_name(out.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    params = model.save(staging, summary=summary)
    swap_in(staging, out)
    return params

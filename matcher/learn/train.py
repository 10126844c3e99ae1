"""Train a ranker on a workspace's judged needs and save it (skops + params.json + card.md): the outcome ranker
from judged (need, outcome) pairs, the expert ranker from judged (need, expert) pairs, the reverse ranker from the
outcome judgements inverted (each judged outcome's candidate needs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.errors import InputError
from matcher.learn.reverse_rows import reverse_judged_set
from matcher.learn.rows import Progress, collect_experts, judged_set
from matcher.ranking.expert.train import EXPERT_RANKER, stack
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.ranking.qrels import Qrels
from matcher.ranking.reverse.train import REVERSE_RANKER
from matcher.ranking.training import fit_ranker, save_ranker
from matcher.workspace.context import Context


def train_outcome_ranker(
    ctx: Context,
    qrels: Qrels,
    *,
    out: Path,
    name: str,
    sources: list[str],
    folds: int = 5,
    grid: list[dict[str, Any]] | None = None,
    progress: Progress = None,
    levels: list[str] | None = None,
) -> dict[str, Any]:
    """Build the training set, cross-validate the grid, refit the best, save model + params.json + card.md
    (`levels`: where it is served; default every level)."""
    ts = judged_set(ctx, qrels, progress)
    model, cv = fit_ranker(ts, qrels, OUTCOME_RANKER, grid=grid, folds=folds, progress=progress)
    return save_ranker(
        out, model, cv, OUTCOME_RANKER, ts=ts, embedder=ctx.embedder.name, name=name, sources=sources, levels=levels
    )


def train_expert_ranker(
    ctx: Context, qrels: Qrels, *, out: Path, name: str, sources: list[str], progress: Progress = None
) -> dict[str, Any]:
    """Choose the configuration by grouped CV, refit on all judged needs, save (skops + params.json + card.md)."""
    ts = stack(collect_experts(ctx, qrels, progress), qrels)
    if ts.y.sum() < 2:
        raise InputError("fewer than two judged experts are among the candidates: nothing to learn from")
    model, cv = fit_ranker(ts, qrels, EXPERT_RANKER)
    return save_ranker(out, model, cv, EXPERT_RANKER, ts=ts, embedder=ctx.embedder.name, name=name, sources=sources)


def train_reverse_ranker(
    ctx: Context,
    qrels: Qrels,
    *,
    out: Path,
    name: str,
    sources: list[str],
    folds: int = 5,
    grid: list[dict[str, Any]] | None = None,
    progress: Progress = None,
    levels: list[str] | None = None,
) -> dict[str, Any]:
    """The reverse ranker (成果找需求 / 找企业) from outcome judgements `qrels` (need → outcome → grade), inverted:
    configuration by CV grouped by outcome, refitted on every judged outcome, saved (`levels`: where it is served,
    default both reverse levels)."""
    ts, inverted = reverse_judged_set(ctx, qrels, progress)
    model, cv = fit_ranker(ts, inverted, REVERSE_RANKER, grid=grid, folds=folds, progress=progress)
    return save_ranker(
        out, model, cv, REVERSE_RANKER, ts=ts, embedder=ctx.embedder.name, name=name, sources=sources, levels=levels
    )

"""Nightly scoring as Ray tasks: a run's pending needs split into chunks, each scored by a task that opens the same
workspace (its SQLite file or the shared PostgreSQL) and scores every need exactly as the single process does, one
transaction each; the driver only watches progress, then solves and writes as usual."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matcher.assign.params import BatchParams
from matcher.assign.score import cancelled, score_one
from matcher.config import Settings
from matcher.index.cluster import ray_cluster
from matcher.match.conflicts import load_rules
from matcher.workspace.context import Context, open_context

CHUNK = 25  # needs per task: small enough to spread, large enough to pay for opening the workspace


def chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def score_chunk(settings: dict[str, Any], run_pk: int, need_pks: list[int], params: dict[str, Any]) -> int:
    """A Ray task: score `need_pks` of run `run_pk` in its own opening of the workspace; how many it scored (it
    stops when the run is cancelled)."""
    ctx = open_context(Settings(**settings, _env_file=None))
    try:
        with ctx.sessions() as session:
            rules = load_rules(session)
        scored = 0
        for need_pk in need_pks:
            if cancelled(ctx, run_pk):
                break
            score_one(ctx, run_pk, need_pk, rules, BatchParams.from_dict(params))
            scored += 1
        return scored
    finally:
        ctx.close()


def score_on_ray(
    ctx: Context,
    run_pk: int,
    pending: list[int],
    params: BatchParams,
    address: str,
    *,
    done: int,
    total: int,
    progress: Callable[[int, int], None] | None = None,
    size: int = CHUNK,
) -> bool:
    """Score `pending` on the Ray cluster at `address`; False if the run was cancelled on the way."""
    settings = ctx.settings.model_dump(mode="json")
    with ray_cluster(address, num_cpus=None) as ray:
        task = ray.remote(score_chunk)
        waiting = [task.remote(settings, run_pk, chunk, params.model_dump()) for chunk in chunks(pending, size)]
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            done += int(ray.get(ready[0]))
            if progress:
                progress(done, total)
    return not cancelled(ctx, run_pk)

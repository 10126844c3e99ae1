"""Execute a batch run: score its pending needs (one transaction each), then solve and write the proposals.

`execute` is both "run" and "resume": it always continues from what the store says is done.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.assign.left_out import write_left_out
from matcher.assign.locks import is_locked, run_lock
from matcher.assign.params import BatchParams
from matcher.assign.runs import create_run, get_run, progress_of, requeue_run, run_named, versions_of
from matcher.assign.score import WEAK, cancelled, score_one, who
from matcher.assign.solver import Pair, alternates, greedy, solve, total_gain
from matcher.assign.unserved import unserved
from matcher.match.conflicts import load_rules
from matcher.store.db import transaction
from matcher.store.tables import Expert, Match, MatchRun, RunCandidate, RunNeed, utcnow
from matcher.workspace.context import Context

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (needs scored, needs in the run)


def is_running(ctx: Context, run_id: str) -> bool:
    """Whether some process holds the run's lock (it is being computed now)."""
    return is_locked(ctx.engine, ctx.workspace.root / "runs", run_id)


def start_run(ctx: Context, params: BatchParams, *, start_key: str | None = None) -> str:
    """Create a queued run (needs fixed now) and return its id; `execute` does the work."""
    snap = ctx.snapshot()
    ranker = snap.ranker
    versions = versions_of(snap.indexes.manifest, ranker.params if ranker else None)
    with transaction(ctx.sessions) as session:
        return create_run(session, params=params, versions=versions, start_key=start_key).id


def start_once(ctx: Context, params: BatchParams, *, start_key: str) -> tuple[str, bool]:
    """The run named `start_key` (e.g. the night's date) and whether this call created it: when every host's
    scheduler starts the nightly batch, the first creates the run and the others get its id (False) and leave its
    execution to the first. The database's unique name settles a race between hosts."""
    with ctx.sessions() as session:
        found = run_named(session, start_key=start_key)
    if found is not None:
        return found, False
    try:
        return start_run(ctx, params, start_key=start_key), True
    except IntegrityError:  # another host created it between the look and the insert
        with ctx.sessions() as session:
            found = run_named(session, start_key=start_key)
        if found is None:
            raise
        return found, False


def resume(ctx: Context, run_id: str, *, progress: Progress | None = None, ray: str | None = None) -> dict[str, Any]:
    """Continue a cancelled, failed or killed run from what the store says is done."""
    return execute(ctx, run_id, progress=progress, resuming=True, ray=ray)


def execute(
    ctx: Context,
    run_id: str,
    *,
    progress: Progress | None = None,
    resuming: bool = False,
    ray: str | None = None,
) -> dict[str, Any]:
    """Execute `run_id` from where it is to the end, unless it is (or gets) cancelled — a cancelled run only
    continues when `resuming`; returns its stats. With `ray` (an address, or `local`) the needs are scored as Ray
    tasks; the solver runs here."""
    with ctx.sessions() as session:
        run_id = get_run(session, run_id=run_id).id  # `latest` → its id, so the lock names the run
    with run_lock(ctx.engine, ctx.workspace.root / "runs", run_id):
        params = _begin(ctx, run_id, resuming)
        try:
            if params and _score_pending(ctx, run_id, params, progress, ray):
                _finish(ctx, run_id, params)
        except BaseException as exc:  # mark the run failed (kill -9 cannot get here; resume handles that), re-raise
            _fail(ctx, run_id, exc)
            raise
    with ctx.sessions() as session:
        return get_run(session, run_id=run_id).stats


def _begin(ctx: Context, run_id: str, resuming: bool) -> BatchParams | None:
    """Mark the run running (under its lock) and return its parameters; None if it was cancelled meanwhile."""
    with transaction(ctx.sessions) as session:
        run = get_run(session, run_id=run_id)
        if run.status == "cancelled" and not resuming:
            return None
        run = requeue_run(session, run_id=run_id)  # refuses a finished run
        run.status, run.error, run.updated_at = "running", None, utcnow()
        run.started_at = run.started_at or utcnow()
        return BatchParams.from_dict(run.params)


def _score_pending(
    ctx: Context, run_id: str, params: BatchParams, progress: Progress | None, ray: str | None = None
) -> bool:
    """Score every pending need; False if the run was cancelled on the way."""
    with ctx.sessions() as session:
        run = get_run(session, run_id=run_id)
        rules = load_rules(session)
        pending = list(
            session.scalars(
                select(RunNeed.need_pk)
                .where(RunNeed.run_pk == run.pk, RunNeed.status == "pending")
                .order_by(RunNeed.need_pk)
            )
        )
        done, total = progress_of(session, run)
    if progress:
        progress(done, total)
    if ray:
        from matcher.assign.ray_score import score_on_ray

        return score_on_ray(ctx, run.pk, pending, params, ray, done=done, total=total, progress=progress)
    for need_pk in pending:
        if cancelled(ctx, run.pk):
            log.info("run %s cancelled", run_id)
            return False
        score_one(ctx, run.pk, need_pk, rules, params)
        done += 1
        if progress:
            progress(done, total)
    return True


def _finish(ctx: Context, run_id: str, params: BatchParams) -> None:
    """Solve over all candidates and write proposals + alternates, all in one transaction."""
    with transaction(ctx.sessions) as session:
        run = get_run(session, run_id=run_id)
        t0 = time.perf_counter()
        pairs, rows, capacities = _pairs(session, run.pk)
        t1 = time.perf_counter()
        limits = params.limits()
        chosen = solve(pairs, limits, capacities)
        t2 = time.perf_counter()
        backups = alternates(pairs, chosen, limits, params.alternates, capacities)
        baseline = total_gain(greedy(pairs, limits, capacities), limits)
        session.execute(delete(Match).where(Match.run_pk == run.pk))
        written = _write(session, run.pk, chosen, backups, rows, limits.region_bonus)
        written["left_out"] = write_left_out(session, run.pk, chosen, backups, params.per_need)
        t3 = time.perf_counter()
        stats = dict(run.stats)
        stats.update(_stats(session, run, chosen, pairs, written, baseline, params))
        stats["seconds"].update({"load": t1 - t0, "solve": t2 - t1, "write": t3 - t2})
        stats["unserved"] = unserved(session, run.pk, chosen, params.per_need)
        run.stats, run.status, run.finished_at, run.updated_at = stats, "done", utcnow(), utcnow()


def _pairs(session: Session, run_pk: int) -> tuple[list[Pair], dict[tuple[int, int], RunCandidate], dict[int, int]]:
    every = session.scalars(select(RunCandidate).where(RunCandidate.run_pk == run_pk))
    rows = {(c.need_pk, c.expert_pk): c for c in every if "left_out" not in c.evidence}
    experts = {c.expert_pk for c in rows.values()}
    facts = session.execute(select(Expert.pk, Expert.institution_pk, Expert.capacity).where(Expert.pk.in_(experts)))
    inst, capacities = {}, {}
    for pk, inst_pk, capacity in facts:
        inst[pk] = inst_pk
        if capacity is not None:
            capacities[pk] = capacity
    pairs = [Pair(n, e, inst.get(e), c.score, c.same_region) for (n, e), c in rows.items()]
    return pairs, rows, capacities


def _write(
    session: Session,
    run_pk: int,
    chosen: list[Pair],
    backups: dict[int, list[Pair]],
    rows: dict[tuple[int, int], RunCandidate],
    bonus: float,
) -> dict[str, int]:
    experts = {e.pk: e for e in session.scalars(select(Expert).where(Expert.pk.in_({e for _, e in rows})))}
    by_need: dict[int, list[Pair]] = {}
    for p in chosen:
        by_need.setdefault(p.need, []).append(p)
    written = {"proposals": 0, "alternates": 0}
    for need in sorted(set(by_need) | set(backups)):
        ordered = sorted(by_need.get(need, []), key=lambda p: (-p.score - (bonus if p.same_region else 0), p.expert))
        roles = [("proposal", p) for p in ordered] + [("alternate", p) for p in backups.get(need, [])]
        for rank, (role, p) in enumerate(roles, 1):
            c = rows[(p.need, p.expert)]
            evidence = {**c.evidence, "same_region": c.same_region, "region_bonus": bonus if c.same_region else 0.0,
                        "who": who(experts[p.expert])}  # fmt: skip
            session.add(
                Match(
                    run_pk=run_pk,
                    need_pk=need,
                    level="expert",
                    target_id=experts[p.expert].id,
                    role=role,
                    rank=rank,
                    score=c.score,
                    evidence=evidence,
                )
            )
            written[role + "s"] += 1
    session.flush()
    return written


def _stats(
    session: Session,
    run: MatchRun,
    chosen: list[Pair],
    pairs: list[Pair],
    written: dict[str, int],
    baseline: float,
    params: BatchParams,
) -> dict[str, Any]:
    needs = session.scalars(select(RunNeed).where(RunNeed.run_pk == run.pk)).all()
    conflicts: dict[str, int] = {}
    for row in needs:
        for rule, n in (row.conflicts or {}).items():
            conflicts[rule] = conflicts.get(rule, 0) + n
    objective = total_gain(chosen, params.limits())
    return {
        "needs": len(needs),
        "candidates": len(pairs),
        **written,
        "experts_proposed": len({p.expert for p in chosen}),
        "conflicts_removed": {k: v for k, v in conflicts.items() if k != WEAK},
        "below_weak": conflicts.get(WEAK, 0),
        "objective": round(objective, 2),
        "greedy_objective": round(baseline, 2),
        "seconds": {"score": round(sum(r.seconds for r in needs), 3)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _fail(ctx: Context, run_id: str, exc: BaseException) -> None:
    with transaction(ctx.sessions) as session:
        run = get_run(session, run_id=run_id)
        if run.status != "cancelled":
            run.status, run.error, run.updated_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], utcnow()

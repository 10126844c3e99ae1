"""Batch runs as records: create, find, list, cancel; one process at a time per run (a file lock).

A run's needs are fixed when it is created (one `run_needs` row each, pending); executing it scores pending
needs one transaction each, then solves and writes all proposals in one transaction. So a run killed at any
point resumes where it was, without losing or duplicating proposals, and runs only ever touch their own rows.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher import __version__
from matcher.assign.params import BatchParams
from matcher.errors import ConflictError, NotFoundError
from matcher.match.open_needs import NeedSelection, select_needs
from matcher.store.tables import MatchRun, RunNeed, utcnow

log = logging.getLogger(__name__)
STATUSES = ("queued", "running", "done", "failed", "cancelled")
STATUS_ZH = {"queued": "排队中", "running": "运行中", "done": "已完成", "failed": "失败", "cancelled": "已停止"}
FINAL = ("done",)


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def unused_run_id(session: Session, make: Callable[[], str] = new_run_id) -> str:
    """A run id no stored run has: ids are stamped to the second with random bits, and runs started in one second
    (the API's fuzz tests start hundreds) could draw the same bits; a clash draws again."""
    while True:
        run_id = make()
        if session.scalar(select(MatchRun.pk).where(MatchRun.id == run_id)) is None:
            return run_id


def create_run(
    session: Session, *, params: BatchParams, versions: dict[str, Any], start_key: str | None = None
) -> MatchRun:
    """A queued run with its needs fixed now (so a resume works on the same set). A `start_key` names it: the
    database refuses a second run of that name (IntegrityError at the flush)."""
    need_pks = [n.pk for n in select_needs(session, NeedSelection.parse(params.needs))]
    if not need_pks:
        raise ConflictError(f"没有符合条件（{params.needs}）的进行中需求，批量推荐无从开始")
    run = MatchRun(
        id=unused_run_id(session),
        kind="batch",
        start_key=start_key,
        status="queued",
        params=params.to_dict(),
        stats={"needs": len(need_pks)},
    )
    run.stats["versions"] = versions
    session.add(run)
    session.flush()
    session.add_all(RunNeed(run_pk=run.pk, need_pk=pk, status="pending", conflicts={}) for pk in need_pks)
    session.flush()
    return run


def run_named(session: Session, *, start_key: str) -> str | None:
    """The id of the run started under `start_key`, if any."""
    return session.scalar(select(MatchRun.id).where(MatchRun.start_key == start_key))


def get_run(session: Session, *, run_id: str) -> MatchRun:
    """The batch run with this id; `latest` names the newest one."""
    query = select(MatchRun).where(MatchRun.kind == "batch")
    if run_id == "latest":
        run = session.scalar(query.order_by(MatchRun.pk.desc()).limit(1))
    else:
        run = session.scalar(query.where(MatchRun.id == run_id))
    if run is None:
        raise NotFoundError(f"找不到批量推荐（编号 {run_id}）")
    return run


def list_runs(session: Session, *, limit: int = 20) -> list[MatchRun]:
    query = select(MatchRun).where(MatchRun.kind == "batch").order_by(MatchRun.pk.desc()).limit(limit)
    return list(session.scalars(query))


def progress_of(session: Session, run: MatchRun) -> tuple[int, int]:
    """(needs scored, needs in the run)."""
    rows = session.execute(
        select(RunNeed.status, func.count()).where(RunNeed.run_pk == run.pk).group_by(RunNeed.status)
    )
    counts = {status: n for status, n in rows}
    return counts.get("scored", 0), sum(counts.values())


def _set_status(session: Session, run_id: str, status: str, refusal: str) -> MatchRun:
    run = get_run(session, run_id=run_id)
    if run.status in FINAL:
        raise ConflictError(f"run {run.id} is {refusal}")
    run.status, run.updated_at = status, utcnow()
    session.flush()
    return run


def cancel_run(session: Session, *, run_id: str) -> MatchRun:
    """Ask a queued or running run to stop after its current need; `resume` continues it later."""
    return _set_status(session, run_id, "cancelled", "done; there is nothing to cancel")


def requeue_run(session: Session, *, run_id: str) -> MatchRun:
    """Make a cancelled, failed or killed run executable again (resume); a finished run stays finished."""
    return _set_status(session, run_id, "queued", "done already; start a new one with `matcher batch run`")


def run_summary(session: Session, run: MatchRun) -> dict[str, Any]:
    scored, total = progress_of(session, run)
    return {
        "id": run.id,
        "status": run.status,
        "params": run.params,
        "progress": {"scored": scored, "needs": total},
        "stats": run.stats,
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "updated_at": run.updated_at,
        "finished_at": run.finished_at,
    }


def versions_of(manifest: dict[str, Any], model: dict[str, Any] | None) -> dict[str, Any]:
    """What produced a run's scores: matcher, index (embedder, size, build time) and ranker."""
    return {
        "matcher": __version__,
        "embedder": manifest.get("embedder"),
        "index": {"count": manifest.get("count"), "created_at": manifest.get("created_at")},
        "model": {"name": model.get("name"), "created_at": model.get("created_at")} if model else None,
    }

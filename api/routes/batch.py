"""Batch runs: start one (it runs in the background on the shared engine), watch it, cancel or resume it,
read and export its proposals, compare two runs."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from starlette.concurrency import run_in_threadpool

from api.deps import BatchWorkerDep, ContextDep, SessionDep, Staff, Viewer, audited
from api.schemas.batch import BatchRunCreate, BatchRunPublic, ProposalPublic, RunDiffPublic
from matcher.assign import BatchParams, start_once, start_run
from matcher.assign.compare import diff_runs
from matcher.assign.pipeline import is_running
from matcher.assign.runs import cancel_run, get_run, list_runs, requeue_run, run_summary
from matcher.errors import ConflictError
from matcher.export.batch import proposals, render
from matcher.export.sheets import MEDIA

router = APIRouter(prefix="/batch-runs", tags=["batch"])


def _public(session: Any, run_id: str) -> BatchRunPublic:
    return BatchRunPublic.model_validate(run_summary(session, get_run(session, run_id=run_id)))


@router.post(
    "",
    response_model=BatchRunPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a batch run",
    responses={200: {"model": BatchRunPublic, "description": "Already started under this start_key"}},
)
async def start(
    body: BatchRunCreate, matcher: ContextDep, worker: BatchWorkerDep, caller: Staff, response: Response
) -> BatchRunPublic:
    params = BatchParams.from_dict(body.model_dump())
    if body.start_key is not None:  # every host's scheduler may ask: the first starts it, the others get it
        run_id, new = await run_in_threadpool(partial(start_once, matcher, params, start_key=body.start_key))
        if not new:
            response.status_code = status.HTTP_200_OK
            response.headers["Location"] = f"/batch-runs/{run_id}"
            with matcher.session() as session:
                return _public(session, run_id)
    else:
        run_id = await run_in_threadpool(start_run, matcher, params)
    with matcher.session(write=True) as session:
        audited(session, caller, "batch-run", f"batch-runs/{run_id}", params=params.to_dict())
        public = _public(session, run_id)
    worker.submit(run_id)
    response.headers["Location"] = f"/batch-runs/{run_id}"
    return public


@router.get("", response_model=list[BatchRunPublic], summary="Recent batch runs")
def recent(
    session: SessionDep, caller: Viewer, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[BatchRunPublic]:
    return [BatchRunPublic.model_validate(run_summary(session, r)) for r in list_runs(session, limit=limit)]


@router.get("/{run_id}", response_model=BatchRunPublic, summary="Status, progress and statistics of a run")
def show(run_id: str, session: SessionDep, caller: Viewer) -> BatchRunPublic:
    return _public(session, run_id)


@router.post("/{run_id}/cancel", response_model=BatchRunPublic, summary="Stop a run after its current need")
def cancel(run_id: str, session: SessionDep, caller: Staff) -> BatchRunPublic:
    cancel_run(session, run_id=run_id)
    audited(session, caller, "batch-cancel", f"batch-runs/{run_id}")
    return _public(session, run_id)


@router.post(
    "/{run_id}/resume",
    response_model=BatchRunPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Continue a killed, failed or cancelled run",
)
def resume(run_id: str, caller: Staff, matcher: ContextDep, worker: BatchWorkerDep) -> BatchRunPublic:
    with matcher.session() as session:
        run_id = get_run(session, run_id=run_id).id
    if is_running(matcher, run_id):
        raise ConflictError(f"批量推荐 {run_id} 正在运行")
    with matcher.session(write=True) as session:
        requeue_run(session, run_id=run_id)
        audited(session, caller, "batch-resume", f"batch-runs/{run_id}")
    worker.submit(run_id)
    with matcher.session() as session:
        return _public(session, run_id)


@router.get("/{run_id}/proposals", response_model=list[ProposalPublic], summary="Proposals and alternates")
def list_proposals(
    run_id: str,
    session: SessionDep,
    caller: Viewer,
    need_id: Annotated[str | None, Query(max_length=200, description="Only this need's")] = None,
) -> list[dict[str, Any]]:
    return proposals(session, get_run(session, run_id=run_id), need_id=need_id)


@router.get(
    "/{run_id}/export",
    summary="Download the proposals as CSV or XLSX (Chinese headers)",
    response_class=Response,
    responses={200: {"content": {MEDIA[k]: {} for k in ("csv", "xlsx")}}},
)
def export(run_id: str, session: SessionDep, caller: Viewer, format: Literal["csv", "xlsx"] = "xlsx") -> Response:
    data = render(session, run_id=run_id, fmt=format)
    disposition = f'attachment; filename="matcher-{run_id}.{format}"'
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": disposition})


@router.get("/{run_id}/diff", response_model=RunDiffPublic, summary="Pairs added and dropped since another run")
def diff(
    run_id: str, session: SessionDep, caller: Viewer, against: Annotated[str, Query(max_length=64)]
) -> RunDiffPublic:
    d = diff_runs(session, old=against, new=run_id)
    return RunDiffPublic(old=d.old, new=d.new, added=d.added, dropped=d.dropped, kept=d.kept)

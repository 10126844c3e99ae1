"""Company–institution pairings and visit / delegation plans (对接会): make, store, read, export."""

from __future__ import annotations

from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response, status

from api.deps import ContextDep, RegionLimiterDep, SessionDep, Staff, Viewer, audited, write_later
from api.schemas.plans import PlanCreate, PlanPublic
from matcher.export.plans import pairings_bytes, plan_bytes
from matcher.export.sheets import MEDIA
from matcher.plan import service
from matcher.plan.pairings import Pairing
from matcher.records import NONBLANK
from matcher.store.tables import PlanRecord

router = APIRouter(tags=["plans"])
Text = Annotated[str | None, Query(min_length=1, max_length=200, pattern=NONBLANK)]


def _public(record: PlanRecord) -> PlanPublic:
    return PlanPublic(
        id=record.id,
        kind=record.kind,
        params=record.params,
        created_by=record.created_by,
        created_at=record.created_at,
        result=service.plan_of(record),
    )


@router.get(
    "/pairings",
    response_model=list[Pairing],
    summary="Company–institution pairings over open needs (JSON, or a CSV / XLSX file)",
    responses={200: {"content": {m: {} for m in MEDIA.values() if m != "application/json"}}},
)
async def pairings(
    matcher: ContextDep,
    caller: Viewer,
    limiter: RegionLimiterDep,
    region: Text = None,
    enterprise: Text = None,
    institution_region: Text = None,
    by: Literal["enterprise", "institution"] = "enterprise",
    top: Annotated[int, Query(ge=1, le=50)] = 5,
    min_degree: Annotated[float | None, Query(ge=0, le=100)] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> object:
    threshold = matcher.settings.weak_match if min_degree is None else min_degree
    found = await to_thread.run_sync(
        lambda: service.pairings(
            matcher,
            region=region,
            enterprise=enterprise,
            institution_region=institution_region,
            min_degree=threshold,
            top=top,
            by=by,
        ),
        limiter=limiter,
    )
    if format == "json":
        return found
    disposition = f'attachment; filename="matcher-pairings.{format}"'
    return Response(
        pairings_bytes(found, format), media_type=MEDIA[format], headers={"Content-Disposition": disposition}
    )


@router.post("/plans", response_model=PlanPublic, status_code=status.HTTP_201_CREATED, summary="Make and store a plan")
async def create_plan(
    body: PlanCreate,
    matcher: ContextDep,
    caller: Staff,
    request: Request,
    response: Response,
    limiter: RegionLimiterDep,
) -> PlanPublic:
    threshold = matcher.settings.weak_match if body.min_degree is None else body.min_degree
    wanted = service.PlanRequest(
        body.kind, body.k, body.enterprises, body.region, body.to_region, body.per_expert, threshold
    )
    plan = await to_thread.run_sync(service.make, matcher, wanted, limiter=limiter)

    def save() -> PlanPublic:
        with matcher.session(write=True) as session:
            record = service.save_plan(session, request=wanted, plan=plan, actor=caller.name)
            audited(session, caller, "plan", f"plans/{record.id}", kind=record.kind)
            return _public(record)

    public = await write_later(request, matcher, save)
    response.headers["Location"] = f"/plans/{public.id}"
    return public


@router.get("/plans", response_model=list[PlanPublic], summary="Stored plans, newest first")
def plans(session: SessionDep, caller: Viewer, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[PlanPublic]:
    return [_public(r) for r in service.list_plans(session, limit=limit)]


@router.get("/plans/{plan_id}", response_model=PlanPublic, summary="A stored plan")
def plan(plan_id: str, session: SessionDep, caller: Viewer) -> PlanPublic:
    return _public(service.get_plan(session, plan_id=plan_id))


@router.get(
    "/plans/{plan_id}/export",
    summary="A plan's 议程 as XLSX, CSV or JSON",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def export_plan(
    plan_id: str, session: SessionDep, caller: Viewer, format: Literal["json", "csv", "xlsx"] = "xlsx"
) -> Response:
    record = service.get_plan(session, plan_id=plan_id)
    data = plan_bytes(service.plan_of(record), format, {"id": record.id, **record.params})
    disposition = f'attachment; filename="matcher-{record.id}.{format}"'
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": disposition})

"""The 对接台账 (engagements and their contracts) and 我的跟进 (what is due): staff and admins only — it holds
contacts' names, notes and deals; viewers read the statistics (`/reports/progress`)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, ContextDep, SessionDep, Staff, Today, audited
from api.schemas.catalog import ImportPublic, PreviewPublic
from api.schemas.common import RecordNumber
from api.schemas.engagements import (
    ContractCreate,
    ContractPublic,
    EngagementCreate,
    EngagementPublic,
    EngagementUpdate,
    FollowupPublic,
    StageMove,
    StagePublic,
)
from matcher.errors import InputError
from matcher.export.followups import followups_csv, followups_ics, status_zh
from matcher.ingest.columns import fields_of, parse_overrides
from matcher.ingest.formats import HELP, UPLOADS
from matcher.ingest.ledger import preview_ledger
from matcher.services import engagements as svc
from matcher.store.stages import label
from matcher.store.tables import Engagement
from matcher.workspace import data
from matcher.workspace.context import Context

router = APIRouter(prefix="/engagements", tags=["engagements"])
followups_router = APIRouter(prefix="/followups", tags=["engagements"])
routers = (router, followups_router)
OwnerQuery = Annotated[str | None, Query(max_length=100, description="Only this owner's (a staff user name)")]
EngagementId = RecordNumber
WithinQuery = Annotated[int, Query(ge=0, le=366, description="Due within this many days (overdue always listed)")]


def _public(session: Any, row: Engagement, *, with_history: bool = False) -> EngagementPublic:
    found = EngagementPublic.model_validate(svc.describe(session, [row])[0])
    if with_history:
        found.history = [
            StagePublic(stage=f.stage, stage_zh=label(f.stage), on=svc.stage_day(f), reason=f.reason,
                        correction=f.correction, created_by=f.created_by, created_at=f.created_at)
            for f in svc.history(session, engagement=row)
        ]  # fmt: skip
    return found


@router.post("", response_model=EngagementPublic, status_code=status.HTTP_201_CREATED,
             summary="Open the 对接 record of a pair")  # fmt: skip
def create(body: EngagementCreate, session: SessionDep, caller: Staff) -> EngagementPublic:
    row = svc.open_engagement(session, actor=caller.name, **body.model_dump())
    audited(session, caller, "create", f"engagements/{row.pk}", need=body.need_id, source=body.source)
    return _public(session, row, with_history=True)


@router.get("", response_model=list[EngagementPublic], summary="The ledger, newest change first")
def ledger(
    session: SessionDep,
    caller: Staff,
    owner: OwnerQuery = None,
    stage: Annotated[str | None, Query(max_length=20)] = None,
    need_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[EngagementPublic]:
    rows = svc.list_engagements(session, owner=owner, stage=stage, need_id=need_id, limit=limit)
    return [EngagementPublic.model_validate(d) for d in svc.describe(session, rows)]


@router.get("/{engagement_id:int}", response_model=EngagementPublic, summary="One record with its stage history")
def show(engagement_id: EngagementId, session: SessionDep, caller: Staff) -> EngagementPublic:
    return _public(session, svc.get_engagement(session, engagement_id=engagement_id), with_history=True)


@router.patch("/{engagement_id:int}", response_model=EngagementPublic, summary="Owner, next action, due date, notes")
def update(engagement_id: EngagementId, body: EngagementUpdate, session: SessionDep, caller: Staff) -> EngagementPublic:
    changes = body.model_dump(exclude_unset=True)
    row = svc.update_engagement(session, engagement_id=engagement_id, changes=changes)
    audited(session, caller, "update", f"engagements/{engagement_id}", fields=sorted(changes))
    return _public(session, row, with_history=True)


@router.post("/{engagement_id:int}/stage", response_model=EngagementPublic, summary="Move to a stage")
def move(engagement_id: EngagementId, body: StageMove, session: SessionDep, caller: Staff) -> EngagementPublic:
    svc.move(session, engagement_id=engagement_id, stage=body.stage, actor=caller.name, reason=body.reason,
             correction=body.correction, on=body.on)  # fmt: skip
    nexts = body.model_dump(exclude_unset=True, include={"next_action", "due_date"})
    row = svc.update_engagement(session, engagement_id=engagement_id, changes=nexts)
    audited(session, caller, "stage", f"engagements/{engagement_id}", stage=body.stage)
    return _public(session, row, with_history=True)


@router.post("/{engagement_id:int}/contracts", response_model=ContractPublic, status_code=status.HTTP_201_CREATED,
             summary="Record a contract (moves the record to 已签约)")  # fmt: skip
def contract(engagement_id: EngagementId, body: ContractCreate, session: SessionDep, caller: Staff) -> ContractPublic:
    row = svc.add_contract(session, engagement_id=engagement_id, actor=caller.name, **body.model_dump())
    audited(session, caller, "contract", f"engagements/{engagement_id}", type=body.type, amount=body.amount_wan)
    return ContractPublic.model_validate(svc.contract_dict(row))


def _due(session: Any, today: Any, within: int, owner: str | None) -> list[tuple[dict[str, Any], int]]:
    found = svc.followups(session, today=today, within=within, owner=owner)
    described = svc.describe(session, [f.engagement for f in found])
    return [(d, f.days) for d, f in zip(described, found, strict=True)]


@followups_router.get("", response_model=list[FollowupPublic], summary="What is due or overdue, per owner")
def followups(
    session: SessionDep, caller: Staff, today: Today, owner: OwnerQuery = None, within: WithinQuery = 7
) -> list[FollowupPublic]:
    return [
        FollowupPublic(engagement=EngagementPublic.model_validate(e), days=days, overdue=days < 0,
                       status_zh=status_zh(days))
        for e, days in _due(session, today, within, owner)
    ]  # fmt: skip


CSV = "text/csv; charset=utf-8"
ICS = "text/calendar; charset=utf-8"


@followups_router.get("/export.csv", summary="我的跟进 as CSV (Chinese headers)", response_class=Response,
                      responses={200: {"content": {CSV: {}}}})  # fmt: skip
def followups_file(
    session: SessionDep, caller: Staff, today: Today, owner: OwnerQuery = None, within: WithinQuery = 7
) -> Response:
    data = followups_csv(_due(session, today, within, owner))
    return Response(data, media_type=CSV, headers={"Content-Disposition": 'attachment; filename="followups.csv"'})


@followups_router.get("/calendar.ics", summary="A calendar feed (.ics) of every due next action",
                      response_class=Response, responses={200: {"content": {ICS: {}}}})  # fmt: skip
def calendar(session: SessionDep, caller: Staff, owner: OwnerQuery = None) -> Response:
    rows = [r for r in svc.list_engagements(session, owner=owner, limit=5000) if r.due_date and r.stage != "rejected"]
    name = f"对接跟进 · {owner}" if owner else "对接跟进"
    data = followups_ics(svc.describe(session, rows), name=name)
    return Response(data, media_type=ICS, headers={"Content-Disposition": 'attachment; filename="followups.ics"'})


MapItem = Annotated[str, StringConstraints(pattern=f"^[^=]+=({'|'.join(['-', *fields_of('engagements')])})$")]
FORMATS = f"^({'|'.join(UPLOADS)})$"


def _ledger_upload(matcher: Context, caller: Caller, body: bytes, suffix: str, mapping: dict[str, str],
                   preview: bool) -> ImportPublic | PreviewPublic:  # fmt: skip
    """The uploaded 台账 previewed or imported (the 导入 card); a file unreadable as a whole is one reason."""
    with tempfile.TemporaryDirectory() as tmp:
        path, rejects = FilePath(tmp) / f"upload{suffix}", FilePath(tmp) / "rejects.jsonl"
        path.write_bytes(body)
        try:
            if preview:
                found = preview_ledger(path, mapping=mapping)
                return PreviewPublic(**asdict(found))
            report = data.import_engagements(matcher, path, actor=caller.name, mapping=mapping, rejects_path=rejects)
        except InputError as exc:
            reason = str(exc).replace(path.name, f"upload{suffix}")
            if preview:
                return PreviewPublic(kind="engagements", source="", headers=[], mapping={}, ignored=[], fields=[],
                                     rows=[], notes=[], error=reason)  # fmt: skip
            return ImportPublic(kind="engagements", accepted=0, rejected=1,
                                rejects=[{"line": 0, "reason": reason, "row": None}])  # fmt: skip
        lines = rejects.read_text(encoding="utf-8").splitlines() if report.rejected else []
    notes = [*report.notes, f"新建需求 {report.needs_created} 项，新建对接单位/专家 {report.partners_created} 个，"
             f"登记合同 {report.contracts} 份，{report.unchanged} 行与已有记录相同"]  # fmt: skip
    with matcher.session(write=True) as session:
        audited(session, caller, "bulk", "engagements", accepted=report.accepted, rejected=report.rejected)
    return ImportPublic(kind="engagements", accepted=report.accepted, rejected=report.rejected,
                        rejects=[json.loads(r) for r in lines[:500]], source=report.source, mapping=report.mapping,
                        ignored=report.ignored, notes=notes)  # fmt: skip


BULK = "Upload a 台账 sheet (request body is the file); preview=true only shows the column map"


@router.post("/bulk", response_model=ImportPublic | PreviewPublic, summary=BULK)
async def bulk(
    request: Request,
    matcher: ContextDep,
    caller: Staff,
    format: Annotated[str, Query(pattern=FORMATS, description=HELP)] = "xlsx",
    preview: Annotated[bool, Query(description="Return the column map and the first rows; store nothing")] = False,
    map_: Annotated[
        list[MapItem] | None, Query(alias="map", max_length=200, description="列名=field overrides")
    ] = None,
) -> ImportPublic | PreviewPublic:
    mapping = parse_overrides(map_ or [])
    body = await request.body()
    return await run_in_threadpool(_ledger_upload, matcher, caller, body, UPLOADS[format], mapping, preview)

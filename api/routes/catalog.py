"""Outcomes, experts and institutions: CRUD and bulk upload of the import formats. One router per resource,
built by one factory because the three behave alike."""

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import Admin, Caller, MatcherDep, SessionDep, Staff, Viewer, audited
from api.schemas.catalog import (
    CatalogUpdate,
    ExpertCreate,
    ExpertPublic,
    ImportPublic,
    InstitutionCreate,
    InstitutionPublic,
    OutcomeCreate,
    OutcomePublic,
)
from api.schemas.common import Page
from matcher.errors import InputError
from matcher.records import RECORD_TYPES
from matcher.services import catalog as svc
from matcher.workspace.facade import Matcher

FORMATS = {"jsonl": ".jsonl", "csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx"}


def _as_record(kind: str, row: Any) -> dict[str, Any]:
    """A stored row back in the import format, so an update can merge and re-validate it."""
    names = RECORD_TYPES[kind].model_fields
    record = {name: getattr(row, name) for name in names if name not in ("institution", "experts")}
    if "institution" in names:
        record["institution"] = row.institution.name if row.institution else None
    if "experts" in names:
        record["experts"] = [{"id": link.expert.id, "name": link.expert.name} for link in row.expert_links]
    return record


def _bulk_import(matcher: Matcher, caller: Caller, kind: str, body: bytes, suffix: str) -> ImportPublic:
    """Import the uploaded file; the answer says exactly what was kept and what was rejected (a file that cannot
    be read at all is one rejected entry at line 0), and the upload is audited either way."""
    with tempfile.TemporaryDirectory() as tmp:
        path, rejects_path = Path(tmp) / f"upload{suffix}", Path(tmp) / "rejects.jsonl"
        path.write_bytes(body)
        try:
            report = matcher.import_file(kind, path, rejects_path=rejects_path)
            lines = rejects_path.read_text(encoding="utf-8").splitlines() if report.rejected else []
            result = ImportPublic(
                kind=kind,
                accepted=report.accepted,
                rejected=report.rejected,
                rejects=[json.loads(r) for r in lines[:500]],
            )
        except InputError as exc:  # unreadable as a whole: say why without the server's temporary path
            reason = str(exc).replace(str(path), f"upload{suffix}")
            result = ImportPublic(
                kind=kind, accepted=0, rejected=1, rejects=[{"line": 0, "reason": reason, "row": None}]
            )
    with matcher.write_sessions() as session, session.begin():
        audited(session, caller, "bulk", kind, accepted=result.accepted, rejected=result.rejected)
    return result


def build_router(kind: str, create: type[BaseModel], public: type[BaseModel]) -> APIRouter:
    router = APIRouter(prefix=f"/{kind}", tags=[kind])
    label = kind[:-1]

    @router.get("", response_model=Page[public], summary=f"List {kind}")  # type: ignore[valid-type]
    def list_items(
        session: SessionDep,
        caller: Viewer,
        q: Annotated[str | None, Query(max_length=100)] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> Any:
        rows, total = svc.list_items(session, kind=kind, q=q, offset=offset, limit=limit)
        return {"items": [public.model_validate(r) for r in rows], "total": total, "offset": offset, "limit": limit}

    @router.get("/{item_id}", response_model=public, summary=f"Get one {label}")
    def get_item(item_id: str, session: SessionDep, caller: Viewer) -> Any:
        return public.model_validate(svc.get_item(session, kind=kind, item_id=item_id))

    @router.post("", response_model=public, status_code=status.HTTP_201_CREATED, summary=f"Create or replace a {label}")
    def create_item(body: create, matcher: MatcherDep, session: SessionDep, caller: Staff) -> Any:  # type: ignore[valid-type]
        matcher.upsert(kind, [body])
        row = svc.stored_row(session, kind=kind, record=body)
        audited(session, caller, "upsert", f"{kind}/{row.id}")
        return public.model_validate(row)

    @router.patch("/{item_id}", response_model=public, summary=f"Update a {label}")
    def update_item(item_id: str, body: CatalogUpdate, matcher: MatcherDep, session: SessionDep, caller: Staff) -> Any:
        with matcher.sessions() as reading:
            current = _as_record(kind, svc.get_item(reading, kind=kind, item_id=item_id))
        try:
            record = RECORD_TYPES[kind].model_validate({**current, **body.model_dump(), "id": item_id})
        except ValidationError as exc:
            raise InputError(
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            ) from exc
        matcher.upsert(kind, [record])
        audited(session, caller, "update", f"{kind}/{item_id}", fields=sorted(body.model_dump()))
        session.expire_all()
        return public.model_validate(svc.get_item(session, kind=kind, item_id=item_id))

    @router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary=f"Delete a {label}")
    def delete_item(item_id: str, session: SessionDep, caller: Admin) -> None:
        svc.delete_item(session, kind=kind, item_id=item_id)
        audited(session, caller, "delete", f"{kind}/{item_id}")

    @router.post("/bulk", response_model=ImportPublic, summary=f"Bulk upload {kind} (request body is the file)")
    async def bulk(
        request: Request,
        matcher: MatcherDep,
        caller: Staff,
        format: Annotated[str, Query(pattern="^(jsonl|csv|tsv|xlsx)$")] = "jsonl",
    ) -> ImportPublic:
        body = await request.body()
        return await run_in_threadpool(_bulk_import, matcher, caller, kind, body, FORMATS[format])

    return router


routers = [
    build_router("outcomes", OutcomeCreate, OutcomePublic),
    build_router("experts", ExpertCreate, ExpertPublic),
    build_router("institutions", InstitutionCreate, InstitutionPublic),
]

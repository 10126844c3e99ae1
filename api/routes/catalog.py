"""Outcomes, experts and institutions: CRUD and bulk upload of the import formats. One router per resource,
built by one factory because the three behave alike."""

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import Admin, MatcherDep, SessionDep, Staff, Viewer, audited
from api.schemas import (
    CatalogUpdate,
    ExpertCreate,
    ExpertPublic,
    ImportPublic,
    InstitutionCreate,
    InstitutionPublic,
    OutcomeCreate,
    OutcomePublic,
    Page,
)
from matcher.errors import InputError, NotFoundError
from matcher.records import RECORD_TYPES
from matcher.services import catalog as svc
from matcher.store.resolve import InstitutionResolver, expert_id

FORMATS = {"jsonl": ".jsonl", "csv": ".csv", "tsv": ".tsv", "xlsx": ".xlsx"}


def _as_record(kind: str, row: Any) -> dict[str, Any]:
    """A stored row back in the import format, so an update can merge and re-validate it."""
    if kind == "outcomes":
        return {
            "id": row.id,
            "kind": row.kind,
            "title": row.title,
            "abstract": row.abstract,
            "keywords": row.keywords,
            "year": row.year,
            "field": row.field,
            "region": row.region,
            "trl": row.trl,
            "institution": row.institution.name if row.institution else None,
            "experts": [{"id": link.expert.id, "name": link.expert.name} for link in row.expert_links],
        }
    if kind == "experts":
        return {
            "id": row.id,
            "name": row.name,
            "title": row.title,
            "fields": row.fields,
            "region": row.region,
            "capacity": row.capacity,
            "institution": row.institution.name if row.institution else None,
        }
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "region": row.region,
        "aliases": row.aliases,
        "group": row.group,
    }


def _stored(session: Any, kind: str, record: Any) -> Any:
    """The row an upserted record landed in (ids may be derived: experts from name + institution,
    institutions from their normalised name)."""
    if record.id:
        return svc.get_item(session, kind=kind, item_id=record.id)
    resolver = InstitutionResolver(session)
    if kind == "experts":
        return svc.get_item(
            session, kind=kind, item_id=expert_id(record.name, resolver.canonical(record.institution or ""), None)
        )
    institution = resolver.get(record.name)
    if institution is None:
        raise NotFoundError(f"no institution named {record.name!r}")
    return institution


def _bulk_import(matcher: Any, caller: Any, kind: str, body: bytes, suffix: str) -> ImportPublic:
    with tempfile.TemporaryDirectory() as tmp:
        path, rejects_path = Path(tmp) / f"upload{suffix}", Path(tmp) / "rejects.jsonl"
        path.write_bytes(body)
        report = matcher.import_file(kind, path, rejects_path=rejects_path)
        rejects = rejects_path.read_text(encoding="utf-8").splitlines() if report.rejected else []
    with matcher.sessions() as session, session.begin():
        audited(session, caller, "bulk", kind, accepted=report.accepted, rejected=report.rejected)
    return ImportPublic(
        kind=kind, accepted=report.accepted, rejected=report.rejected, rejects=[json.loads(r) for r in rejects[:500]]
    )


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
        row = _stored(session, kind, body)
        audited(session, caller, "upsert", f"{kind}/{row.id}")
        return public.model_validate(row)

    @router.patch("/{item_id}", response_model=public, summary=f"Update a {label}")
    def update_item(item_id: str, body: CatalogUpdate, matcher: MatcherDep, session: SessionDep, caller: Staff) -> Any:
        current = _as_record(kind, svc.get_item(session, kind=kind, item_id=item_id))
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

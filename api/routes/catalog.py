"""Outcomes, experts and institutions: CRUD and bulk upload of the import formats. One router per resource,
built by one factory because the three behave alike."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ValidationError

from api.deps import Admin, ContextDep, SessionDep, Staff, Viewer, audited, private
from api.schemas.catalog import (
    CatalogUpdate,
    ChangePublic,
    ExpertCreate,
    ExpertPublic,
    InstitutionCreate,
    InstitutionPublic,
    OutcomeCreate,
    OutcomePublic,
)
from api.schemas.common import Page
from api.uploads import add_bulk
from matcher.errors import InputError
from matcher.ingest.formats import UPLOADS
from matcher.records import RECORD_TYPES
from matcher.services import catalog as svc
from matcher.services.users import allows
from matcher.workspace import data

FORMAT_PATTERN = f"^({'|'.join(UPLOADS)})$"


def _as_record(kind: str, row: Any) -> dict[str, Any]:
    """A stored row back in the import format, so an update can merge and re-validate it."""
    names = RECORD_TYPES[kind].model_fields
    record = {name: getattr(row, name) for name in names if name not in ("institution", "experts")}
    if "institution" in names:
        record["institution"] = row.institution.name if row.institution else None
    if "experts" in names:
        record["experts"] = [{"id": link.expert.id, "name": link.expert.name} for link in row.expert_links]
    return record


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
        items = [private(public.model_validate(r), caller) for r in rows]
        return {"items": items, "total": total, "offset": offset, "limit": limit}

    @router.get("/{item_id}", response_model=public, summary=f"Get one {label}")
    def get_item(item_id: str, session: SessionDep, caller: Viewer) -> Any:
        found = private(public.model_validate(svc.get_item(session, kind=kind, item_id=item_id)), caller)
        changes = svc.history(session, kind=kind, record_id=item_id)
        if not allows(caller.role, "staff"):  # personal data changes are staff's only
            changes = [c for c in changes if c["field"] != "contacts"]
        found.history = [ChangePublic(**c) for c in changes]  # type: ignore[attr-defined]
        return found

    @router.post("", response_model=public, status_code=status.HTTP_201_CREATED, summary=f"Create or replace a {label}")
    def create_item(body: create, matcher: ContextDep, session: SessionDep, caller: Staff) -> Any:  # type: ignore[valid-type]
        data.upsert(matcher, kind, [body], actor=caller.name)
        row = svc.stored_row(session, kind=kind, record=body)
        audited(session, caller, "upsert", f"{kind}/{row.id}")
        return private(public.model_validate(row), caller)

    @router.patch("/{item_id}", response_model=public, summary=f"Update a {label}")
    def update_item(item_id: str, body: CatalogUpdate, matcher: ContextDep, session: SessionDep, caller: Staff) -> Any:
        with matcher.session() as reading:
            current = _as_record(kind, svc.get_item(reading, kind=kind, item_id=item_id))
        try:
            record = RECORD_TYPES[kind].model_validate({**current, **body.model_dump(), "id": item_id})
        except ValidationError as exc:
            raise InputError(
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            ) from exc
        data.upsert(matcher, kind, [record], actor=caller.name)
        audited(session, caller, "update", f"{kind}/{item_id}", fields=sorted(body.model_dump()))
        session.expire_all()
        return private(public.model_validate(svc.get_item(session, kind=kind, item_id=item_id)), caller)

    @router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary=f"Delete a {label}")
    def delete_item(item_id: str, session: SessionDep, caller: Admin) -> None:
        svc.delete_item(session, kind=kind, item_id=item_id)
        audited(session, caller, "delete", f"{kind}/{item_id}")

    add_bulk(router, kind)

    return router


routers = [
    build_router("outcomes", OutcomeCreate, OutcomePublic),
    build_router("experts", ExpertCreate, ExpertPublic),
    build_router("institutions", InstitutionCreate, InstitutionPublic),
]

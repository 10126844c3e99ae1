"""Needs: confidential business information, so every route needs a key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from api.deps import ContextDep, EmbedLimiterDep, SessionDep, Staff, Viewer, audited, embed, private
from api.schemas.catalog import ChangePublic
from api.schemas.common import Page
from api.schemas.needs import NeedCreate, NeedPublic, NeedUpdate
from api.uploads import add_bulk
from matcher.services import needs as svc
from matcher.services.changes import history
from matcher.services.users import allows
from matcher.workspace import data
from matcher.workspace.context import Context

router = APIRouter(prefix="/needs", tags=["needs"])
add_bulk(router, "needs")
NULLABLE = {"organization", "region", "field"}


async def embedded_need(body: NeedCreate, matcher: ContextDep, limiter: EmbedLimiterDep) -> NeedCreate:
    """The new need, its embeddings stored first (under the embedding limiter, before any write lock)."""
    await embed(limiter, data.embed_need, matcher, body.title, body.description)
    return body


@router.post("", response_model=NeedPublic, status_code=status.HTTP_201_CREATED, summary="Create a need")
def create_need(
    caller: Staff,  # roles are checked before any embedding work
    body: Annotated[NeedCreate, Depends(embedded_need)],
    session: SessionDep,
) -> NeedPublic:
    need = svc.create_need(session, record=body)
    audited(session, caller, "create", f"needs/{need.id}")
    return private(NeedPublic.model_validate(need), caller)


@router.get("", response_model=Page[NeedPublic], summary="List needs with filters and pagination")
def list_needs(
    session: SessionDep,
    caller: Viewer,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|closed)$")] = None,
    field: Annotated[str | None, Query(max_length=50)] = None,
    region: Annotated[str | None, Query(max_length=50)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in title, description or organisation")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Page[NeedPublic]:
    rows, total = svc.list_needs(session, status=status_, field=field, region=region, q=q, offset=offset, limit=limit)
    return Page(
        items=[private(NeedPublic.model_validate(r), caller) for r in rows], total=total, offset=offset, limit=limit
    )


@router.get("/{need_id}", response_model=NeedPublic, summary="Get one need")
def get_need(need_id: str, session: SessionDep, caller: Viewer) -> NeedPublic:
    found = private(NeedPublic.model_validate(svc.get_need(session, need_id=need_id)), caller)
    changes = history(session, kind="needs", record_id=need_id)
    shown = [c for c in changes if c["field"] != "contacts" or allows(caller.role, "staff")]
    found.history = [ChangePublic(**c) for c in shown]
    return found


def _changes(body: NeedUpdate) -> dict[str, Any]:
    """null means "no change" for fields a need cannot lack; organisation, region and field may be cleared."""
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k in NULLABLE}


def _embed_changed(matcher: Context, need_id: str, changes: dict[str, Any]) -> None:
    with matcher.session() as reading:
        current = svc.get_need(reading, need_id=need_id)
        title, description = changes.get("title", current.title), changes.get("description", current.description)
    data.embed_need(matcher, title, description)


async def embedded_update(
    need_id: str, body: NeedUpdate, matcher: ContextDep, limiter: EmbedLimiterDep
) -> dict[str, Any]:
    """The changes, the need's new text embedded first (under the embedding limiter, before any write lock)."""
    changes = _changes(body)
    await embed(limiter, _embed_changed, matcher, need_id, changes)
    return changes


@router.patch("/{need_id}", response_model=NeedPublic, summary="Update a need")
def update_need(
    need_id: str,
    body: NeedUpdate,
    caller: Staff,  # roles are checked before any embedding work
    changes: Annotated[dict[str, Any], Depends(embedded_update)],
    session: SessionDep,
) -> NeedPublic:
    need = svc.update_need(session, need_id=need_id, changes=changes, actor=caller.name)
    audited(session, caller, "update", f"needs/{need_id}", fields=sorted(changes))
    return private(NeedPublic.model_validate(need), caller)


@router.post("/{need_id}/close", response_model=NeedPublic, summary="Close a need")
def close_need(need_id: str, session: SessionDep, caller: Staff) -> NeedPublic:
    need = svc.update_need(session, need_id=need_id, changes={"status": "closed"}, actor=caller.name)
    audited(session, caller, "close", f"needs/{need_id}")
    return private(NeedPublic.model_validate(need), caller)

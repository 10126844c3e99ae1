"""Why imports folded references into one expert (nothing is merged silently)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SessionDep, Staff, audited
from api.schemas.common import RecordNumber
from matcher.services.catalog import list_merges
from matcher.services.merges import confirm_duplicate, list_duplicates, reject_duplicate, unmerge

router = APIRouter(prefix="/experts", tags=["experts"])


@router.get("/merges", summary="References imports folded into existing experts, newest first, with the reason")
def merges(session: SessionDep, caller: Staff, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    return list_merges(session, limit=limit)


@router.get("/duplicates", summary="Possible duplicates (same name and unit, nothing agreeing), for staff to confirm")
def duplicates(
    session: SessionDep, caller: Staff, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    return list_duplicates(session, limit=limit)


@router.post("/duplicates/{pk}/confirm", summary="One person: merge the later expert into the earlier (undoable)")
def confirm(pk: RecordNumber, session: SessionDep, caller: Staff) -> dict[str, Any]:
    done = confirm_duplicate(session, pk=pk, actor=caller.name)
    audited(session, caller, "confirm-duplicate", f"experts/{done['kept']}", removed=done["removed"])
    return done


@router.post("/duplicates/{pk}/reject", summary="Two people: keep them apart")
def reject(pk: RecordNumber, session: SessionDep, caller: Staff) -> dict[str, str]:
    reject_duplicate(session, pk=pk)
    audited(session, caller, "reject-duplicate", f"duplicates/{pk}")
    return {"status": "rejected"}


@router.post("/merges/{pk}/unmerge", summary="Undo a merge: the merged expert is one of its own again")
def unmerge_route(pk: RecordNumber, session: SessionDep, caller: Staff) -> dict[str, Any]:
    done = unmerge(session, pk=pk, actor=caller.name)
    audited(session, caller, "unmerge", f"experts/{done['kept']}", restored=done["restored"])
    return done

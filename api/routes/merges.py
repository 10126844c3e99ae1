"""Why imports folded references into one expert (nothing is merged silently)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SessionDep, Staff
from matcher.services.catalog import list_merges

router = APIRouter(prefix="/experts", tags=["experts"])


@router.get("/merges", summary="References imports folded into existing experts, newest first, with the reason")
def merges(session: SessionDep, caller: Staff, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    return list_merges(session, limit=limit)

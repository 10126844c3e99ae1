"""统计报表: what the matchmaking achieved in a period — statistics only (no contacts, no notes), so viewers may
read it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, Viewer
from matcher.report.ledger import Scope
from matcher.report.progress import progress_report
from matcher.report.workbook import progress_html, progress_xlsx

router = APIRouter(prefix="/reports", tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DayQuery = Annotated[date, Query(description="Last day of the period, included (YYYY-MM-DD)")]
ScopeQuery = Annotated[str | None, Query(max_length=200)]


@router.get(
    "/progress",
    summary="The progress report of a period (JSON, XLSX one sheet per dimension, or printable HTML)",
    response_model=None,
    responses={200: {"content": {"application/json": {}, XLSX: {}, "text/html": {}}}},
)
def progress(
    session: SessionDep,
    caller: Viewer,
    from_: Annotated[date, Query(alias="from", description="First day of the period (YYYY-MM-DD)")],
    to: DayQuery,
    region: ScopeQuery = None,
    field: ScopeQuery = None,
    institution: ScopeQuery = None,
    owner: ScopeQuery = None,
    format: Literal["json", "xlsx", "html"] = "json",
) -> Any:
    scope = Scope(from_, to, region=region, field=field, institution=institution, owner=owner)
    report = progress_report(session, scope=scope)
    if format == "xlsx":
        name = f"progress-{scope.start}-{scope.end}.xlsx"
        return Response(progress_xlsx(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    if format == "html":
        return HTMLResponse(progress_html(report))
    return report

"""The 技术图谱: the stored technology map (JSON, XLSX or the HTML report) and one topic in detail."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ContextDep, Viewer
from api.schemas.techmap import MapPublic, TopicPublic
from matcher.export.map import workbook
from matcher.export.sheets import MEDIA
from matcher.map.build import current_view, load_map
from matcher.map.report import render
from matcher.map.view import MapView
from matcher.records import NONBLANK

router = APIRouter(tags=["technology map"])
XLSX = MEDIA["xlsx"]
Region = Annotated[str | None, Query(min_length=1, max_length=50, pattern=NONBLANK)]
FieldName = Annotated[str | None, Query(alias="field", min_length=1, max_length=100, pattern=NONBLANK)]


async def _view(matcher: ContextDep, region: str | None, field: str | None) -> MapView:
    """The stored map in scope, its 已对接 / 已签约 counted from the feedback recorded up to now."""
    return await run_in_threadpool(lambda: current_view(matcher, region=region, field=field))


@router.get(
    "/map",
    response_model=MapPublic,
    summary="The technology map: topics, demand and supply per topic × region, gaps and strengths",
    responses={200: {"content": {XLSX: {}}}},
)
async def get_map(
    matcher: ContextDep,
    caller: Viewer,
    region: Region = None,
    field_name: FieldName = None,
    format: Literal["json", "xlsx"] = "json",
) -> object:
    v = await _view(matcher, region, field_name)
    if format == "xlsx":
        headers = {"Content-Disposition": 'attachment; filename="matcher-map.xlsx"'}
        return Response(workbook(v), media_type=XLSX, headers=headers)
    return v.as_dict()


@router.get("/map/report", response_class=HTMLResponse, summary="The technology map as a self-contained HTML report")
async def map_report(matcher: ContextDep, caller: Viewer, region: Region = None, field_name: FieldName = None) -> str:
    return render(await _view(matcher, region, field_name))


@router.get(
    "/map/topics/{topic_id}", response_model=TopicPublic, summary="One topic: its cells, gaps, strengths, documents"
)
async def map_topic(
    matcher: ContextDep, caller: Viewer, topic_id: Annotated[int, Path(ge=0, le=100_000)]
) -> TopicPublic:
    techmap = await run_in_threadpool(load_map, matcher.workspace)
    topic = techmap.topic(topic_id)
    members = [(side, doc) for side, doc, t in techmap.assignments if t == topic_id]
    return TopicPublic(
        topic=topic,
        field=techmap.fields[topic.field],
        cells=[c for c in techmap.cells if c.topic == topic_id],
        gaps=[g for g in techmap.gaps if g.topic == topic_id],
        strengths=[s for s in techmap.strengths if s.topic == topic_id],
        needs=[doc for side, doc in members if side == "need"],
        outcomes=[doc for side, doc in members if side == "outcome"],
    )

"""Matching: ranked experts, institutions or outcomes with evidence, for a stored need or ad-hoc text."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import ContextDep, EmbedLimiterDep, SessionDep, Viewer, embed
from api.schemas.matches import MatchPublic, MatchRequest
from matcher.levels import LevelName as Level
from matcher.match import forward
from matcher.search.query import Query as NeedQuery
from matcher.services.feedback import latest_stages
from matcher.workspace.context import Context

router = APIRouter(tags=["matching"])


def _with_stages(result: dict[str, Any], stages: dict[tuple[str, str], str]) -> dict[str, Any]:
    for hit in result["hits"]:
        if result["level"] != "outcome":
            hit["stage"] = stages.get((result["level"], hit["id"]))
    return result


def _match_need(matcher: Context, need_id: str, level: str, top: int) -> dict[str, Any]:
    return forward.match(matcher, forward.need_query(matcher, need_id), level=level, top=top).to_dict()


def _match(matcher: Context, query: NeedQuery, level: str, top: int) -> dict[str, Any]:
    return forward.match(matcher, query, level=level, top=top).to_dict()


@router.get("/needs/{need_id}/matches", response_model=MatchPublic, summary="Ranked matches for a stored need")
async def need_matches(
    need_id: str,
    matcher: ContextDep,
    session: SessionDep,
    caller: Viewer,
    level: Level = "expert",
    top: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    result = await run_in_threadpool(_match_need, matcher, need_id, level, top)
    return _with_stages(result, latest_stages(session, need_id=need_id))


@router.post("/match", response_model=MatchPublic, summary="Ranked matches for ad-hoc need text")
async def match_text(body: MatchRequest, matcher: ContextDep, caller: Viewer, limiter: EmbedLimiterDep) -> Any:
    query = await embed(limiter, forward.text_query, matcher, body.text)
    return await run_in_threadpool(_match, matcher, query, body.level, body.top)

"""Reverse matching (成果找企业): the open needs, or the enterprises behind them, for a stored outcome, an expert,
an institution, or ad-hoc outcome text."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import EmbedLimiterDep, MatcherDep, SessionDep, Viewer, embed
from api.schemas.reverse import ReversePublic, ReverseRequest, Target
from matcher.records import NONBLANK
from matcher.search.probe import find_institution
from matcher.services.feedback import stages_for_target
from matcher.workspace.facade import Matcher

router = APIRouter(tags=["reverse matching"])
Top = Annotated[int, Query(ge=1, le=100)]
Region = Annotated[str | None, Query(min_length=1, max_length=50, pattern=NONBLANK)]


async def _reverse(
    matcher: Matcher, limiter: CapacityLimiter, what: dict[str, str], target: str, top: int, region: str | None
) -> dict[str, Any]:
    """The probe's outcomes embedded under the embedding limiter (an outcome not yet indexed is embedded now), then
    the search in the thread pool."""
    found_by = await embed(limiter, lambda: matcher.probe(**what))
    return await run_in_threadpool(lambda: matcher.reverse(found_by, target=target, top=top, region=region).to_dict())


def _with_stages(result: dict[str, Any], stages: dict[str, str]) -> dict[str, Any]:
    if result["target"] == "needs":
        for hit in result["hits"]:
            hit["stage"] = stages.get(hit["id"])
    return result


@router.get(
    "/outcomes/{outcome_id}/matches", response_model=ReversePublic, summary="Needs or enterprises for an outcome"
)
async def outcome_matches(
    outcome_id: str,
    matcher: MatcherDep,
    session: SessionDep,
    caller: Viewer,
    limiter: EmbedLimiterDep,
    target: Annotated[Target, Query(alias="for")] = "needs",
    region: Region = None,
    top: Top = 20,
) -> Any:
    result = await _reverse(matcher, limiter, {"outcome_id": outcome_id}, target, top, region)
    return _with_stages(result, stages_for_target(session, level="outcome", target_id=outcome_id))


@router.get("/experts/{expert_id}/matches", response_model=ReversePublic, summary="Needs or enterprises for an expert")
async def expert_matches(
    expert_id: str,
    matcher: MatcherDep,
    session: SessionDep,
    caller: Viewer,
    limiter: EmbedLimiterDep,
    target: Annotated[Target, Query(alias="for")] = "needs",
    region: Region = None,
    top: Top = 20,
) -> Any:
    result = await _reverse(matcher, limiter, {"expert_id": expert_id}, target, top, region)
    return _with_stages(result, stages_for_target(session, level="expert", target_id=expert_id))


@router.get(
    "/institutions/{institution_id}/matches",
    response_model=ReversePublic,
    summary="Needs or enterprises for an institution",
)
async def institution_matches(
    institution_id: str,
    matcher: MatcherDep,
    session: SessionDep,
    caller: Viewer,
    limiter: EmbedLimiterDep,
    target: Annotated[Target, Query(alias="for")] = "needs",
    region: Region = None,
    top: Top = 20,
) -> Any:
    inst = find_institution(session, institution_id)
    result = await _reverse(matcher, limiter, {"institution": inst.id}, target, top, region)
    return _with_stages(result, stages_for_target(session, level="institution", target_id=inst.id))


@router.post("/reverse-match", response_model=ReversePublic, summary="Needs or enterprises for ad-hoc outcome text")
async def reverse_text(body: ReverseRequest, matcher: MatcherDep, caller: Viewer, limiter: EmbedLimiterDep) -> Any:
    probe = await embed(limiter, lambda: matcher.probe(text=body.text, text_institution=body.institution))
    return await run_in_threadpool(
        lambda: matcher.reverse(probe, target=body.target, top=body.top, region=body.region).to_dict()
    )

"""Reverse matching (成果找企业): the open needs, or the enterprises behind them, for a stored outcome, an expert,
an institution, or ad-hoc outcome text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import ContextDep, EmbedLimiterDep, SessionDep, Viewer, embed
from api.schemas.reverse import ReversePublic, ReverseRequest, Target
from matcher.levels import EXPERT, NEEDS, OUTCOME, Level, level_of
from matcher.match import reverse
from matcher.records import NONBLANK
from matcher.search.probe import find_institution
from matcher.services.feedback import stages_for_target
from matcher.workspace.context import Context

router = APIRouter(tags=["reverse matching"])
Top = Annotated[int, Query(ge=1, le=100)]
Region = Annotated[str | None, Query(min_length=1, max_length=50, pattern=NONBLANK)]


async def _reverse(
    matcher: Context, limiter: CapacityLimiter, what: dict[str, str], target: str, top: int, region: str | None
) -> dict[str, Any]:
    """The probe's outcomes embedded under the embedding limiter (an outcome not yet indexed is embedded now), then
    the search in the thread pool."""
    found_by = await embed(limiter, lambda: reverse.probe(matcher, **what))
    found = await run_in_threadpool(lambda: reverse.reverse(matcher, found_by, target=target, top=top, region=region))
    return found.to_dict()


def _with_stages(result: dict[str, Any], stages: dict[str, str]) -> dict[str, Any]:
    if level_of(result["target"]) is NEEDS:
        for hit in result["hits"]:
            hit["stage"] = stages.get(hit["id"])
    return result


async def _stored_probe(
    matcher: Context, session: Session, limiter: CapacityLimiter, level: Level, target_id: str, params: ReverseParams
) -> dict[str, Any]:
    """Needs or enterprises for a stored outcome or expert, with each need's pairing stage."""
    what = {"outcome_id" if level is OUTCOME else "expert_id": target_id}
    result = await _reverse(matcher, limiter, what, params.target, params.top, params.region)
    return _with_stages(result, stages_for_target(session, level=level.name, target_id=target_id))


@dataclass(frozen=True)
class ReverseParams:
    target: str
    top: int
    region: str | None


def reverse_params(
    target: Annotated[Target, Query(alias="for")] = "needs", region: Region = None, top: Top = 20
) -> ReverseParams:
    return ReverseParams(target, top, region)


ParamsDep = Annotated[ReverseParams, Depends(reverse_params)]


@router.get(
    "/outcomes/{outcome_id}/matches", response_model=ReversePublic, summary="Needs or enterprises for an outcome"
)
async def outcome_matches(
    outcome_id: str, matcher: ContextDep, session: SessionDep, caller: Viewer, limiter: EmbedLimiterDep, p: ParamsDep
) -> Any:
    return await _stored_probe(matcher, session, limiter, OUTCOME, outcome_id, p)


@router.get("/experts/{expert_id}/matches", response_model=ReversePublic, summary="Needs or enterprises for an expert")
async def expert_matches(
    expert_id: str, matcher: ContextDep, session: SessionDep, caller: Viewer, limiter: EmbedLimiterDep, p: ParamsDep
) -> Any:
    return await _stored_probe(matcher, session, limiter, EXPERT, expert_id, p)


@router.get(
    "/institutions/{institution_id}/matches",
    response_model=ReversePublic,
    summary="Needs or enterprises for an institution",
)
async def institution_matches(
    institution_id: str,
    matcher: ContextDep,
    session: SessionDep,
    caller: Viewer,
    limiter: EmbedLimiterDep,
    p: ParamsDep,
) -> Any:
    inst = find_institution(session, institution_id)
    result = await _reverse(matcher, limiter, {"institution": inst.id}, p.target, p.top, p.region)
    return _with_stages(result, stages_for_target(session, level="institution", target_id=inst.id))


@router.post("/reverse-match", response_model=ReversePublic, summary="Needs or enterprises for ad-hoc outcome text")
async def reverse_text(body: ReverseRequest, matcher: ContextDep, caller: Viewer, limiter: EmbedLimiterDep) -> Any:
    probe = await embed(limiter, lambda: reverse.probe(matcher, text=body.text, text_institution=body.institution))
    return await run_in_threadpool(
        lambda: reverse.reverse(matcher, probe, target=body.target, top=body.top, region=body.region).to_dict()
    )

"""Matching: the request for ad-hoc text, and the engine's own result types with the one field the API adds
(`stage`, the latest staff decision on an expert or institution for this need)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ConfigDict, Field

from api.schemas.common import JSONNumbers
from matcher.levels import LevelName
from matcher.records import NONBLANK
from matcher.search.results import ExpertHit, InstitutionHit, MatchResult, OutcomeHit


class MatchRequest(JSONNumbers):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [{"text": "寻求动力电池热失控早期预警技术，提高储能电站安全性", "level": "expert", "top": 10}]
        },
    )
    text: str = Field(min_length=1, max_length=20_000, pattern=NONBLANK)
    level: LevelName = "expert"
    top: int = Field(10, ge=1, le=100)


@dataclass
class ExpertHitPublic(ExpertHit):
    stage: str | None = None


@dataclass
class InstitutionHitPublic(InstitutionHit):
    stage: str | None = None


@dataclass
class MatchPublic(MatchResult):
    hits: list[ExpertHitPublic] | list[InstitutionHitPublic] | list[OutcomeHit]

"""Pairings and plans: the request to make a plan; responses reuse the engine's own result types."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import JSONNumbers, UTCDatetime, strict
from matcher.plan.visits import Plan
from matcher.records import NONBLANK


class PlanCreate(JSONNumbers):
    model_config = strict(
        {"kind": "visit", "region": "黑龙江", "to_region": "辽宁", "k": 3},
        {"kind": "delegation", "region": "辽宁", "k": 3, "per_expert": 3},
    )
    kind: Literal["visit", "delegation"]
    k: int = Field(ge=1, le=50, description="Stops to visit (visit) or experts to send (delegation).")
    enterprises: list[str] = Field(default_factory=list, max_length=200, description="The delegation (visit).")
    region: str | None = Field(None, min_length=1, max_length=50, pattern=NONBLANK)
    to_region: str | None = Field(None, min_length=1, max_length=50, pattern=NONBLANK)
    per_expert: int | None = Field(None, ge=1, le=100)
    min_degree: float | None = Field(None, ge=0, le=100, description="0–100; default MATCHER_WEAK_MATCH.")


class PlanPublic(BaseModel):
    id: str
    kind: str
    params: dict[str, Any]
    created_by: str | None
    created_at: UTCDatetime
    result: Plan

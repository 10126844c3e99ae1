"""Pairings and plans: the request to make a plan; responses reuse the engine's own result types."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import JSONNumbers, UTCDatetime
from matcher.plan.visits import Plan
from matcher.records import NONBLANK

REGION: dict[str, Any] = {"type": "string"}
# what the model validator enforces, said in the schema: a visit names its enterprises or their region, a delegation
# its region
SCOPE_RULES: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "visit"}}},
            "then": {
                "anyOf": [
                    {"required": ["region"], "properties": {"region": REGION}},
                    {"required": ["enterprises"], "properties": {"enterprises": {"minItems": 1}}},
                ]
            },
        },
        {
            "if": {"properties": {"kind": {"const": "delegation"}}},
            "then": {"required": ["region"], "properties": {"region": REGION}},
        },
    ]
}
Firm = Annotated[str, Field(min_length=1, max_length=200, pattern=NONBLANK)]


class PlanCreate(JSONNumbers):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "visit", "region": "黑龙江", "to_region": "辽宁", "k": 3},
                {"kind": "delegation", "region": "辽宁", "k": 3, "per_expert": 3},
            ],
            **SCOPE_RULES,
        },
    )
    kind: Literal["visit", "delegation"]
    k: int = Field(ge=1, le=50, description="Stops to visit (visit) or experts to send (delegation).")
    enterprises: list[Firm] = Field(default_factory=list, max_length=200, description="The delegation (visit).")
    region: str | None = Field(None, min_length=1, max_length=50, pattern=NONBLANK)
    to_region: str | None = Field(None, min_length=1, max_length=50, pattern=NONBLANK)
    per_expert: int | None = Field(None, ge=1, le=100)
    min_degree: float | None = Field(None, ge=0, le=100, description="0–100; default MATCHER_WEAK_MATCH.")

    @model_validator(mode="after")
    def _scope(self) -> PlanCreate:
        if self.kind == "visit" and not (self.region or self.enterprises):
            raise ValueError("a visit plan needs the delegation's enterprises or a region")
        if self.kind == "delegation" and not self.region:
            raise ValueError("a delegation plan needs the region whose needs the experts serve")
        return self


class PlanPublic(BaseModel):
    id: str
    kind: str
    params: dict[str, Any]
    created_by: str | None
    created_at: UTCDatetime
    result: Plan

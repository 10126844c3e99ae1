"""Staff decisions on a pairing (the stages are declared once in matcher.store.stages)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import JSONNumbers, UTCDatetime
from matcher.levels import LevelName
from matcher.records import NONBLANK
from matcher.store.stages import StageName


class FeedbackCreate(JSONNumbers):
    """A decision on a pairing; a rejection (不合适) must say why."""

    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "if": {"properties": {"stage": {"const": "rejected"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": NONBLANK}}},
            "examples": [
                {"level": "expert", "target_id": "X630cb57983b6", "stage": "contacted", "reason": None},
                {"level": "expert", "target_id": "X630cb57983b6", "stage": "rejected", "reason": "专家档期已满"},
            ],
        },
    )
    level: LevelName
    target_id: str = Field(min_length=1, max_length=200)
    stage: StageName
    reason: str | None = Field(None, max_length=2000)
    correction: bool = Field(False, description="Moving the pairing back (or out of 不合适) is a correction: say so")


class FeedbackPublic(BaseModel):
    id: int
    need_id: str
    level: str
    target_id: str
    target_name: str | None = None  # the outcome's title, the expert's or the institution's name
    stage: str
    stage_zh: str
    reason: str | None
    correction: bool = False
    created_by: str | None
    created_at: UTCDatetime

"""The model history: versions of the outcome ranker and its 匹配度 maps, what every retrain or rollback did, and
a rollback request."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ModelVersionPublic(BaseModel):
    id: str
    created_at: str | None = Field(None, description="when it was made (UTC, ISO 8601)")
    source: str | None = Field(None, description="what made it, in the staff's words")
    judgements: int | None = None
    needs: int | None = Field(None, description="the needs its judgements were on")
    cv: float | None = Field(None, description="its CV nDCG@10 when it was accepted")
    served_before: float | None = Field(None, description="what it replaced, on the same held-out folds")
    parent: str | None = Field(None, description="the version served when it was made")
    served: bool


class AttemptPublic(BaseModel):
    at: str
    action: str = Field(description="retrain | rollback")
    actor: str = ""
    kept: bool
    status: str = Field(description="kept | not-better | refused | failed | rolled-back")
    reason: str = ""
    version: str | None = None
    figures: dict[str, Any] = Field(default_factory=dict)


class ModelHistoryPublic(BaseModel):
    served: str | None = Field(description="the version served (none: no history yet, the loose or shipped models)")
    fell_back_from: str | None = Field(description="the version named but damaged, when an earlier one is served")
    versions: list[ModelVersionPublic]
    attempts: list[AttemptPublic]


class RollbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | None = Field(None, min_length=1, max_length=64, description="default: the version replaced last")


class RollbackPublic(BaseModel):
    served: str
    message: str

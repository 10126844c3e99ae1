"""Schemas of the batch-run routes: start a run (Create), watch it (Public), read its proposals and diffs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import JSONNumbers, UTCDatetime
from matcher.assign import BatchParams
from matcher.records import NONBLANK


class BatchRunCreate(JSONNumbers, BatchParams):
    """Parameters of a run; every field is optional (the CLI's defaults). The limits are BatchParams' own."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=False,
        json_schema_extra={"examples": [{"needs": "open", "per_need": 3, "alternates": 2, "expert_capacity": 5}]},
    )
    start_key: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Start this run once under this name across every host sharing the database (e.g. the "
        "night's date): a run already started under it is returned (200) and not started again",
    )


class Progress(BaseModel):
    scored: int
    needs: int


class BatchRunPublic(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    params: dict[str, Any]
    progress: Progress
    stats: dict[str, Any]
    error: str | None
    created_at: UTCDatetime
    started_at: UTCDatetime | None
    updated_at: UTCDatetime | None
    finished_at: UTCDatetime | None


class ProposalPublic(BaseModel):
    need_id: str
    need: str
    organization: str
    need_region: str
    role: Literal["proposal", "alternate", "left_out"]
    rank: int
    expert: str
    expert_id: str
    title: str
    institution: str
    expert_region: str
    same_region: bool
    score: float
    evidence: str
    terms: str
    reason: str = Field("", description="Why a left-out candidate was not proposed (回避 or 名额已满)")


class RunDiffPublic(BaseModel):
    old: str
    new: str
    added: list[tuple[str, str]] = Field(description="(need id, expert id) proposed by the new run only")
    dropped: list[tuple[str, str]] = Field(description="(need id, expert id) proposed by the old run only")
    kept: int


def _one_scope(schema: dict[str, Any]) -> None:
    """In the published schema: exactly one of need_id / organization, as a string (no null)."""
    for name in ("need_id", "organization"):
        schema["properties"][name] = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NONBLANK}
    schema["oneOf"] = [{"required": ["need_id"]}, {"required": ["organization"]}]
    schema["examples"] = [
        {"expert_id": "X630cb57983b6", "organization": "齐齐哈尔市重型铸造有限责任公司", "reason": "已有合作"}
    ]


class ExclusionCreate(JSONNumbers):
    """Never propose this expert for one need (`need_id`) or for every need of one organisation."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_one_scope)
    expert_id: str = Field(min_length=1, max_length=200, pattern=NONBLANK)
    need_id: str | None = Field(None, min_length=1, max_length=200, pattern=NONBLANK)
    organization: str | None = Field(None, min_length=1, max_length=200, pattern=NONBLANK)
    reason: str = Field(min_length=1, max_length=2000, pattern=NONBLANK)

    @model_validator(mode="after")
    def _exactly_one_scope(self) -> ExclusionCreate:
        if (self.need_id is None) == (self.organization is None):
            raise ValueError("需求编号与企业名称须且只须填写一项")
        return self


class ExclusionPublic(BaseModel):
    id: int
    expert_id: str | None
    need_id: str | None
    organization_key: str | None
    reason: str
    created_at: UTCDatetime

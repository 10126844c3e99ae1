"""Schemas of the batch-run routes: start a run (Create), watch it (Public), read its proposals and diffs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import UTCDatetime, _JSONNumbers
from matcher.batch import BatchParams

DEFAULTS = BatchParams()


class BatchRunCreate(_JSONNumbers):
    """Parameters of a run; every field is optional (the CLI's defaults)."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"needs": "open", "per_need": 3, "alternates": 2, "expert_capacity": 5}]},
    )
    needs: str = Field(DEFAULTS.needs, pattern=r"^(open|all|since:\d{4}-\d{2}-\d{2})$")
    per_need: int = Field(DEFAULTS.per_need, ge=1, le=50, description="Experts proposed per need (K).")
    alternates: int = Field(DEFAULTS.alternates, ge=0, le=50, description="Ranked alternates per need (A).")
    expert_capacity: int = Field(DEFAULTS.expert_capacity, ge=1, le=10_000, description="Per expert (C).")
    institution_capacity: int | None = Field(None, ge=1, description="Per institution in the run (N).")
    max_per_institution: int = Field(DEFAULTS.max_per_institution, ge=1, description="Per institution per need (M).")
    region_bonus: float = Field(DEFAULTS.region_bonus, ge=0, le=100, description="Points for same-region pairs.")
    candidates: int = Field(DEFAULTS.candidates, ge=1, le=200, description="Experts scored per need.")


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
    role: Literal["proposal", "alternate"]
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


class RunDiffPublic(BaseModel):
    old: str
    new: str
    added: list[tuple[str, str]] = Field(description="(need id, expert id) proposed by the new run only")
    dropped: list[tuple[str, str]] = Field(description="(need id, expert id) proposed by the old run only")
    kept: int

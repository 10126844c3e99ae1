"""Service health."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str
    version: str
    outcomes_indexed: int | None
    embedder: str | None
    ranker: str | None
    problems: list[str] = Field(default_factory=list, description="why it is degraded, in the staff's words")

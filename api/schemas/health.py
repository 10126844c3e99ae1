"""Service health."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    version: str
    outcomes_indexed: int | None
    embedder: str | None
    ranker: str | None

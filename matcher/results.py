"""Typed match results. Every hit carries its evidence: supporting outcomes, matched terms, component scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["outcome", "expert", "institution"]
LEVELS: tuple[str, ...] = ("outcome", "expert", "institution")


@dataclass
class Components:
    """The retrieval signals behind one outcome (ranks are 1-based; None = not retrieved by that system)."""

    fused: float
    bm25: float | None = None
    bm25_rank: int | None = None
    dense: float | None = None
    dense_rank: int | None = None
    model: float | None = None


@dataclass
class OutcomeHit:
    rank: int
    id: str
    kind: str
    title: str
    score: float
    year: int | None
    institution: str | None
    experts: list[str]
    matched_terms: list[str]
    components: Components
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ExpertHit:
    rank: int
    id: str
    name: str
    title: str | None
    institution: str | None
    region: str | None
    score: float
    n_outcomes: int
    matched_terms: list[str]
    evidence: list[OutcomeHit]


@dataclass
class InstitutionHit:
    rank: int
    id: str
    name: str
    type: str | None
    region: str | None
    score: float
    n_outcomes: int
    experts: list[str]
    matched_terms: list[str]
    evidence: list[OutcomeHit]


Hit = OutcomeHit | ExpertHit | InstitutionHit


@dataclass
class MatchResult:
    level: str
    query: str
    need_id: str | None
    scorer: str
    hits: list[Any]
    notice: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

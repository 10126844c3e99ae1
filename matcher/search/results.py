"""Typed match results. Every hit carries its evidence: supporting outcomes, matched terms, component scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Components:
    """The retrieval signals behind one outcome (ranks are 1-based; None = not retrieved by that system). `dense`
    is the cosine with the vector dense retrieval searched with (`Query.retrieval_vector`)."""

    fused: float
    bm25: float | None = None
    bm25_rank: int | None = None
    dense: float | None = None
    dense_rank: int | None = None
    model: float | None = None


@dataclass(frozen=True)
class Scored:
    """A candidate outcome (its store pk) with the score the voting uses (higher is better, best is about 1)."""

    pk: int
    score: float
    components: Components


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
    degree: float | None = 0.0  # 匹配度 0–100 (`degree.py`); None: no map for its key (尚未校准)
    band: str | None = "weak"  # strong | fair | weak (`degree.Bands`); None with the degree
    why: list[str] = field(default_factory=list)  # reasons of its own (`rollup/explain.py`)
    sentence: dict[str, Any] | None = None  # the evidence sentence that matches the need best


@dataclass(kw_only=True)
class OwnerHit:
    """What every rolled-up hit has: an owner of outcomes (expert or institution) and the outcomes that voted."""

    rank: int
    id: str
    name: str
    region: str | None
    score: float
    n_outcomes: int
    matched_terms: list[str]
    evidence: list[OutcomeHit]
    degree: float | None = 0.0  # None: no 匹配度 map for its key (尚未校准)
    band: str | None = "weak"
    why: list[str] = field(default_factory=list)
    sentence: dict[str, Any] | None = None


@dataclass(kw_only=True)
class ExpertHit(OwnerHit):
    title: str | None
    institution: str | None


@dataclass(kw_only=True)
class InstitutionHit(OwnerHit):
    type: str | None
    experts: list[str]


@dataclass
class MatchResult:
    level: str
    query: str
    need_id: str | None
    scorer: str  # what ranked the hits: `fused`, `ranker:NAME`, `ranker:NAME+experts:NAME`
    hits: list[Any]
    notice: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    expert_ranked: bool = False  # expert hits' scores are the expert ranker's probabilities (else roll-up votes)
    excluded: list[dict[str, Any]] = field(default_factory=list)  # marked 不合适 for this need: id, name, reason
    weak: bool = False  # 无强匹配: every hit is below the weak line (`degree.weak_notice`)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evidence_outcomes(hits: list[Any]) -> list[OutcomeHit]:
    """Every outcome shown in `hits`: the hits themselves at outcome level, else each hit's evidence."""
    found: list[OutcomeHit] = []
    for hit in hits:
        found += [hit] if isinstance(hit, OutcomeHit) else hit.evidence
    return found


@dataclass
class PartHit:
    """One outcome of a reverse probe that found a need: which, and the need's rank in its list."""

    outcome_id: str | None
    title: str
    rank: int
    components: Components


@dataclass
class NeedHit:
    rank: int
    id: str
    title: str
    organization: str | None
    region: str | None
    field: str | None
    score: float  # Σ over the probe's outcomes of 1/√(its rank in that outcome's fused list); reranked: P(relevant)
    matched_terms: list[str]
    evidence: list[PartHit]
    degree: float | None = 0.0
    band: str | None = "weak"


@dataclass
class EnterpriseHit:
    rank: int
    name: str
    type: str | None
    region: str | None
    group: str | None
    score: float  # the roll-up vote over its needs (as experts' votes over their outcomes)
    n_needs: int
    matched_terms: list[str]
    evidence: list[NeedHit]
    degree: float | None = 0.0
    band: str | None = "weak"


@dataclass
class ReverseResult:
    """Needs or enterprises for an outcome, expert, institution or outcome text (成果找企业)."""

    target: str  # needs | enterprises
    probe: str  # kind of probe: outcome | expert | institution | text
    label: str
    probe_id: str | None  # the stored outcome, expert or institution; None for outcome text
    hits: list[Any]
    conflicts_removed: dict[str, int] = field(default_factory=dict)
    notice: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    weak: bool = False  # 无强匹配: every hit is below the weak line
    scorer: str = "fused"  # what ordered the needs: the fused vote, or `ranker:NAME` (the reverse ranker)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

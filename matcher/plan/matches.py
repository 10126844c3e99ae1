"""The forward matches plans are made from: for each selected open need, its best institutions or experts
(conflict-free, by the batch-run rules: `match/open_needs.py`), each with its 匹配度 and evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from matcher.errors import InputError
from matcher.match.conflicts import ConflictRules
from matcher.match.open_needs import match_needs
from matcher.search.results import ExpertHit, InstitutionHit
from matcher.store.tables import Need
from matcher.workspace.context import Context

POOL = 20  # candidates per need a plan may choose from


@dataclass
class Candidate:
    """An institution or expert that serves one need: who, how well (匹配度, 0–100), and why."""

    id: str
    name: str
    region: str | None
    institution: str | None
    degree: float
    experts: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@dataclass
class NeedMatches:
    id: str
    title: str
    organization: str | None
    region: str | None
    candidates: list[Candidate]


def candidate(hit: InstitutionHit | ExpertHit) -> Candidate:
    """A roll-up hit as a plan candidate (an expert's institution is where the delegation goes)."""
    evidence, value = [e.title for e in hit.evidence], hit.degree
    if value is None:
        raise InputError(f"{hit.name} has no 匹配度 (尚未校准): a plan cannot weigh it")
    if isinstance(hit, InstitutionHit):
        return Candidate(hit.id, hit.name, hit.region, hit.name, value, hit.experts, evidence, hit.matched_terms)
    return Candidate(hit.id, hit.name, hit.region, hit.institution, value, [hit.name], evidence, hit.matched_terms)


def _candidates(hits: list[InstitutionHit] | list[ExpertHit]) -> list[Candidate]:
    return [candidate(h) for h in hits if h.degree is not None]


def match_for_plans(
    ctx: Context,
    needs: list[Need],
    rules: ConflictRules,
    *,
    level: str,
    progress: Callable[[int], None] | None = None,
) -> list[NeedMatches]:
    """Each need's conflict-free institutions (`level="institution"`) or experts, best first (those without a
    匹配度 left out: a plan weighs pairs by it)."""
    return [
        NeedMatches(m.need.id, m.need.title, m.need.organization, m.need.region, _candidates(m.kept))
        for m in match_needs(ctx, needs, rules, level=level, top=POOL, progress=progress)
    ]

"""The forward matches plans are made from: for each selected open need, its best institutions or experts
(conflict-free, by the batch-run rules), each with its 匹配度 and evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.conflicts import ConflictRules, load_rules
from matcher.errors import InputError, NotFoundError
from matcher.search.results import ExpertHit, InstitutionHit
from matcher.store.tables import Expert, Need

if TYPE_CHECKING:
    from matcher.engine import Matcher

POOL = 20  # candidates per need a plan may choose from


@dataclass
class Candidate:
    """An institution or expert that serves one need: who, how well (0–1), and why."""

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


def select_needs(session: Session, *, region: str | None = None, enterprises: list[str] | None = None) -> list[Need]:
    """Open needs of a region and/or of named enterprises (any spelling of a stored name); at least one need."""
    if region is not None and not region.strip():
        raise InputError("the region is empty")
    query = select(Need).where(Need.status == "open").order_by(Need.pk)
    if region:
        query = query.where(Need.region == region.strip())
    needs = list(session.scalars(query))
    if enterprises:
        rules = load_rules(session)
        keys = {_key(rules, name) for name in enterprises}
        needs = [n for n in needs if _key(rules, n.organization) in keys]
        missing = keys - {_key(rules, n.organization) for n in needs}
        if missing:
            raise NotFoundError(f"no open needs of: {', '.join(sorted(missing))}")
    if not needs:
        raise NotFoundError("no open needs match this selection")
    return needs


def _key(rules: ConflictRules, name: str | None) -> str:
    org = rules.org(name)
    return org.key if org else ""


def candidate(hit: InstitutionHit | ExpertHit) -> Candidate:
    """A roll-up hit as a plan candidate (an expert's institution is where the delegation goes)."""
    evidence = [e.title for e in hit.evidence]
    if isinstance(hit, InstitutionHit):
        return Candidate(
            hit.id, hit.name, hit.region, hit.name, hit.degree / 100, hit.experts, evidence, hit.matched_terms
        )
    return Candidate(
        hit.id, hit.name, hit.region, hit.institution, hit.degree / 100, [hit.name], evidence, hit.matched_terms
    )


def allowed(need: Need, c: Candidate, rules: ConflictRules, pks: dict[str, int]) -> bool:
    """Whether pairing `need` with the candidate breaks no batch-run conflict rule."""
    expert = pks.get(c.id)
    return not rules.check_owner(need, institution=c.institution, expert_pk=expert, expert_id=c.id if expert else None)


def match_needs(
    matcher: Matcher, needs: list[Need], *, level: str, progress: Callable[[int], None] | None = None
) -> list[NeedMatches]:
    """Each need's conflict-free institutions (`level="institution"`) or experts, best first."""
    with matcher.sessions() as session:
        rules = load_rules(session)
        pks = {i: pk for i, pk in session.execute(select(Expert.id, Expert.pk))} if level == "expert" else {}
    found = []
    for need in needs:
        hits = matcher.match(matcher.need_query(need.id), level=level, top=POOL).hits
        cands = [c for c in map(candidate, hits) if allowed(need, c, rules, pks)]
        found.append(NeedMatches(need.id, need.title, need.organization, need.region, cands))
        if progress:
            progress(1)
    return found

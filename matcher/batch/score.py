"""Score one need of a batch run: the engine's ranked experts, minus conflicts, as candidate rows (0–100)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.conflicts import ConflictRules, count_rules
from matcher.engine import Matcher
from matcher.search.results import ExpertHit, MatchResult
from matcher.store.tables import Expert, Need, RunCandidate

EVIDENCE = 3


@dataclass(frozen=True)
class Scored:
    candidates: list[RunCandidate]
    conflicts: dict[str, int]


def same_region(need: Need, expert: Expert) -> bool:
    theirs = expert.region or (expert.institution.region if expert.institution else None)
    return bool(need.region and theirs and need.region.strip() == theirs.strip())


def evidence(hit: ExpertHit, scorer: str) -> dict[str, object]:
    return {
        "engine_rank": hit.rank,
        "scorer": scorer,
        "terms": hit.matched_terms[:8],
        "outcomes": [{"id": o.id, "title": o.title[:120], "score": o.score} for o in hit.evidence[:EVIDENCE]],
    }


def score_need(
    matcher: Matcher, session: Session, *, run_pk: int, need: Need, rules: ConflictRules, result: MatchResult
) -> Scored:
    """Candidate rows from the need's expert matches (not yet added to the session) and how many candidates
    each conflict rule removed."""
    experts = {e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_([h.id for h in result.hits])))}
    kept: list[RunCandidate] = []
    broken: list[str] = []
    for hit in result.hits:
        expert = experts.get(hit.id)
        if expert is None:
            continue
        rule = rules.check(need, expert)
        if rule:
            broken.append(rule)
            continue
        kept.append(
            RunCandidate(
                run_pk=run_pk,
                need_pk=need.pk,
                expert_pk=expert.pk,
                rank=len(kept) + 1,
                score=hit.degree,
                same_region=same_region(need, expert),
                evidence=evidence(hit, result.scorer),
            )
        )
    return Scored(kept, count_rules(broken))

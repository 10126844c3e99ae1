"""Roll ranked outcomes up to experts and institutions (a voting model), keeping the evidence.

An expert's score is the sum of its best `depth` outcome scores, the i-th weighted decay**i and each
discounted by age (half-life in years). An institution collects the votes of outcomes it holds directly or
through its experts, the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from datetime import date
from typing import Any

from matcher.levels import EXPERT, Level
from matcher.search.results import ExpertHit, InstitutionHit, OutcomeHit, Scored
from matcher.search.vote import VoteParams, decayed_vote
from matcher.store.views import ExpertInfo, InstitutionInfo, OutcomeInfo

EVIDENCE = 3


def recency(year: int | None, params: VoteParams) -> float:
    """1 for this year's outcome (or unknown year, or recency off), halving every `half_life` years."""
    if year is None or params.half_life <= 0:
        return 1.0
    now = params.now_year or date.today().year
    return float(0.5 ** (max(0, now - year) / params.half_life))


def matched_terms(keywords: list[str], tokens: str) -> list[str]:
    """The need's keywords that occur among an outcome's tokens (space-joined), in keyword order."""
    present = set(tokens.split())
    return [k for k in keywords if k in present]


def outcome_hit(rank: int, item: Scored, info: OutcomeInfo, keywords: list[str]) -> OutcomeHit:
    return OutcomeHit(
        rank=rank,
        id=info.id,
        kind=info.kind,
        title=info.title,
        score=round(item.score, 4),
        year=info.year,
        institution=info.institution.name if info.institution else None,
        experts=[e.name for e in info.experts],
        matched_terms=matched_terms(keywords, info.tokens),
        components=item.components,
    )


def outcome_hits(items: list[Scored], infos: dict[int, OutcomeInfo], keywords: list[str], top: int) -> list[OutcomeHit]:
    present = [i for i in items if i.pk in infos]
    return [outcome_hit(r, i, infos[i.pk], keywords) for r, i in enumerate(present[:top], 1)]


def _votes(
    items: list[Scored], infos: dict[int, OutcomeInfo], owners: Callable[[OutcomeInfo], list[Hashable]]
) -> dict[Hashable, list[Scored]]:
    """Owner → its candidate outcomes, best first (items are already sorted)."""
    votes: dict[Hashable, list[Scored]] = defaultdict(list)
    for item in items:
        info = infos.get(item.pk)
        for owner in owners(info) if info else []:
            votes[owner].append(item)
    return votes


def vote(items: list[Scored], infos: dict[int, OutcomeInfo], params: VoteParams) -> float:
    """An owner's vote over its outcomes (best first), each score discounted by the outcome's age."""
    return decayed_vote((item.score * recency(infos[item.pk].year, params) for item in items), params)


def _ranked(
    votes: dict[Hashable, list[Scored]], infos: dict[int, OutcomeInfo], params: VoteParams, top: int
) -> list[tuple[Hashable, list[Scored]]]:
    """Owners by total vote, best first (ties by key), cut at `top`."""
    return sorted(votes.items(), key=lambda kv: (-vote(kv[1], infos, params), kv[0]))[:top]


def _evidence(items: list[Scored], infos: dict[int, OutcomeInfo], keywords: list[str]) -> list[OutcomeHit]:
    return [outcome_hit(r, i, infos[i.pk], keywords) for r, i in enumerate(items[:EVIDENCE], 1)]


def _union_terms(evidence: list[OutcomeHit]) -> list[str]:
    return list(dict.fromkeys(t for hit in evidence for t in hit.matched_terms))


def _rolled(
    items: list[Scored],
    infos: dict[int, OutcomeInfo],
    keywords: list[str],
    top: int,
    params: VoteParams,
    owners: Callable[[OutcomeInfo], list[Hashable]],
) -> Iterator[tuple[int, list[Scored], dict[str, Any]]]:
    """For the `top` owners by vote: the owner's pk, its supporting outcomes, and the fields every hit has."""
    for rank, (pk, supporting) in enumerate(_ranked(_votes(items, infos, owners), infos, params, top), 1):
        evidence = _evidence(supporting, infos, keywords)
        common = {
            "rank": rank,
            "score": round(vote(supporting, infos, params), 4),
            "n_outcomes": len(supporting),
            "matched_terms": _union_terms(evidence),
            "evidence": evidence,
        }
        yield int(pk), supporting, common  # type: ignore[call-overload]


def expert_hits(
    items: list[Scored], infos: dict[int, OutcomeInfo], keywords: list[str], top: int, params: VoteParams
) -> list[ExpertHit]:
    experts: dict[int, ExpertInfo] = {e.pk: e for info in infos.values() for e in info.experts}
    hits = []
    for pk, _, common in _rolled(items, infos, keywords, top, params, lambda info: [e.pk for e in info.experts]):
        e = experts[pk]
        institution = e.institution.name if e.institution else None
        hits.append(ExpertHit(id=e.id, name=e.name, title=e.title, institution=institution, region=e.region, **common))
    return hits


def _institutions_of(info: OutcomeInfo) -> list[Hashable]:
    found = [info.institution] if info.institution else []
    found += [e.institution for e in info.experts if e.institution]
    return list(dict.fromkeys(i.pk for i in found))


def _experts_at(inst: InstitutionInfo, supporting: list[Scored], infos: dict[int, OutcomeInfo]) -> list[str]:
    """Names of the institution's experts on its supporting outcomes, first five."""
    names = (e.name for s in supporting for e in infos[s.pk].experts if e.institution and e.institution.pk == inst.pk)
    return list(dict.fromkeys(names))[:5]


def institution_hits(
    items: list[Scored], infos: dict[int, OutcomeInfo], keywords: list[str], top: int, params: VoteParams
) -> list[InstitutionHit]:
    institutions = {
        inst.pk: inst
        for info in infos.values()
        for inst in [info.institution, *(e.institution for e in info.experts)]
        if inst
    }
    hits = []
    for pk, supporting, common in _rolled(items, infos, keywords, top, params, _institutions_of):
        inst = institutions[pk]
        experts = _experts_at(inst, supporting, infos)
        hits.append(
            InstitutionHit(id=inst.id, name=inst.name, type=inst.type, region=inst.region, experts=experts, **common)
        )
    return hits


def roll_up(
    level: Level, items: list[Scored], infos: dict[int, OutcomeInfo], keywords: list[str], top: int, params: VoteParams
) -> list[Any]:
    """The `top` hits at a forward `level` from ranked candidate outcomes: the outcomes themselves, or their
    owners (experts, institutions) by vote."""
    if not level.votes:
        return outcome_hits(items, infos, keywords, top)
    roll = expert_hits if level is EXPERT else institution_hits
    return roll(items, infos, keywords, top, params)

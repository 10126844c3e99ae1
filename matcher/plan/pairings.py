"""Company–institution pairings: for each enterprise with open needs, the institutions best placed to serve it,
aggregated over all its needs — and the inverse view, per institution, the companies to approach.

A pair's score is the sum of the probabilities the institution's 匹配度 stand for over the enterprise's needs it is
a candidate for — the needs it can be expected to solve — so an institution that serves three needs well outranks
one that serves one need slightly better.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from matcher.plan.matches import Candidate, NeedMatches
from matcher.search.degree import probability

EVIDENCE = 3


@dataclass
class CoveredNeed:
    id: str
    title: str
    degree: float  # 0–100


@dataclass
class Pairing:
    enterprise: str
    enterprise_region: str | None
    institution: str
    institution_id: str
    institution_region: str | None
    score: float
    needs: list[CoveredNeed]
    experts: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def _merge(pair: Pairing, need: NeedMatches, c: Candidate) -> None:
    pair.score += probability(c.degree)
    pair.needs.append(CoveredNeed(need.id, need.title, c.degree))
    pair.experts = list(dict.fromkeys([*pair.experts, *c.experts]))[:5]
    pair.evidence = list(dict.fromkeys([*pair.evidence, *c.evidence]))[:EVIDENCE]
    pair.terms = list(dict.fromkeys([*pair.terms, *c.terms]))[:10]


def all_pairs(
    matches: list[NeedMatches], institution_region: str | None = None, min_degree: float = 0.0
) -> list[Pairing]:
    """Every (enterprise, institution) pair some need connects at `min_degree` (匹配度) or better, scored and with
    evidence, best first."""
    pairs: dict[tuple[str, str], Pairing] = {}
    for need in matches:
        firm = need.organization or "（未填写企业）"
        for c in need.candidates:
            if (institution_region and c.region != institution_region) or c.degree < min_degree:
                continue
            pair = pairs.setdefault((firm, c.id), Pairing(firm, need.region, c.name, c.id, c.region, 0.0, []))
            _merge(pair, need, c)
    for pair in pairs.values():
        pair.score = round(pair.score, 4)
        pair.needs.sort(key=lambda n: -n.degree)
    return sorted(pairs.values(), key=lambda p: (-p.score, p.enterprise, p.institution))


def top_per(pairs: list[Pairing], key: str, top: int) -> dict[str, list[Pairing]]:
    """The `top` pairs of each enterprise (`key="enterprise"`) or each institution (`key="institution"`)."""
    grouped: dict[str, list[Pairing]] = defaultdict(list)
    for pair in pairs:  # already best first
        bucket = grouped[getattr(pair, key)]
        if len(bucket) < top:
            bucket.append(pair)
    return dict(grouped)

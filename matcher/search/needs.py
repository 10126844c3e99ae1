"""Needs found by a probe's outcomes (成果找企业): each outcome retrieves needs the way a need retrieves outcomes
(BM25 + dense over the need index, fused as served); a need's score is Σ 1/√rank over the probe's outcomes that
found it (one outcome: the fused order)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from matcher.index.needs import NeedIndexes
from matcher.search.fusion import FusionParams, fuse, vote_weight
from matcher.search.probe import Probe
from matcher.search.results import PartHit


@dataclass
class Found:
    """A need some of the probe's outcomes retrieved: pk, score, and which outcomes at which rank."""

    pk: int
    score: float
    parts: list[PartHit]


def search_needs(probe: Probe, needs: NeedIndexes, *, depth: int, params: FusionParams) -> list[Found]:
    """Every need any part retrieved, best first (ties by pk)."""
    found: dict[int, list[PartHit]] = defaultdict(list)
    for part in probe.parts:
        fused = fuse(needs.lexical.search(part.terms, depth), needs.dense.search(part.vector, depth), params)
        for rank, (pk, comp) in enumerate(fused, 1):
            found[pk].append(PartHit(part.outcome_id, part.title, rank, comp))
    scored = [Found(pk, float(sum(vote_weight(p.rank) for p in parts)), parts) for pk, parts in found.items()]
    return sorted(scored, key=lambda f: (-f.score, f.pk))

"""The lists behind the scores: for each gap, the needs and the nearest remote institutions and experts that could
fill it; for each strength, the local outcomes still waiting for an enterprise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matcher.map.cells import Cell
from matcher.map.docs import MapDoc

NEAREST = 10  # remote outcomes looked at per need
_LISTED = 10
_CHUNK = 256


@dataclass
class NeedRef:
    id: str
    title: str
    organization: str | None
    best_local: float | None  # cosine of the closest outcome in the need's own region; None: no local outcome
    best_remote: float | None


@dataclass
class Supplier:
    """A remote institution or expert, scored by Σ over the gap's needs of its best outcome's cosine."""

    id: str
    name: str
    region: str | None
    score: float
    outcomes: list[str] = field(default_factory=list)


@dataclass
class Gap:
    topic: int
    region: str
    score: float
    kind: str
    needs: list[NeedRef]
    institutions: list[Supplier]
    experts: list[Supplier]


@dataclass
class OutcomeRef:
    id: str
    title: str
    kind: str
    year: int | None
    institution: str | None
    experts: list[str]


@dataclass
class Strength:
    topic: int
    region: str
    score: float
    outcomes: list[OutcomeRef]


class Nearest:
    """Cosine neighbours among outcomes: best local similarity and the top remote outcomes of a need."""

    def __init__(self, outcomes: Sequence[MapDoc], vectors: np.ndarray) -> None:
        self.outcomes, self.vectors = outcomes, vectors
        self.regions = np.asarray([d.region for d in outcomes])

    def of(self, need_vectors: np.ndarray, region: str) -> list[tuple[float | None, list[tuple[int, float]]]]:
        local = self.regions == region
        found = []
        for start in range(0, len(need_vectors), _CHUNK):
            sims = need_vectors[start : start + _CHUNK] @ self.vectors.T
            for row in sims:
                best_local = float(row[local].max()) if local.any() else None
                found.append((best_local, [(int(i), float(row[i])) for i in self._top_remote(row, local)]))
        return found

    @staticmethod
    def _top_remote(row: np.ndarray, local: np.ndarray) -> np.ndarray:
        """The NEAREST highest-scoring remote outcomes, best first (ties by position), without a full sort."""
        remote = np.flatnonzero(~local)
        if len(remote) > NEAREST:
            remote = remote[np.argpartition(-row[remote], NEAREST - 1)[:NEAREST]]
        return remote[np.lexsort((remote, -row[remote]))]


def _who(doc: MapDoc, key: str) -> list[tuple[str | None, str | None]]:
    if key == "expert":
        return [(p.id, p.name) for p in doc.experts]
    return [(doc.organization, doc.organization)]


def _suppliers(hits: list[list[tuple[MapDoc, float]]], key: str) -> list[Supplier]:
    best: dict[str, dict[int, float]] = defaultdict(dict)  # supplier → need index → best cosine
    named: dict[str, Supplier] = {}
    for n, need_hits in enumerate(hits):
        for doc, sim in need_hits:
            for sid, name in _who(doc, key):
                if not sid:
                    continue
                best[sid][n] = max(best[sid].get(n, -1.0), sim)
                sup = named.setdefault(sid, Supplier(sid, name or sid, doc.region, 0.0))
                if doc.id not in sup.outcomes:
                    sup.outcomes.append(doc.id)
    for sid, sup in named.items():
        sup.score = round(sum(best[sid].values()), 4)
    return sorted(named.values(), key=lambda s: (-s.score, s.id))[:_LISTED]


def gap_of(cell: Cell, needs: list[tuple[MapDoc, np.ndarray]], nearest: Nearest) -> Gap:
    open_needs = [(d, v) for d, v in needs if d.open]
    found = nearest.of(np.stack([v for _, v in open_needs]), cell.region) if open_needs else []
    refs, hits = [], []
    for (doc, _), (best_local, top) in zip(open_needs, found, strict=True):
        best_remote = top[0][1] if top else None
        refs.append(NeedRef(doc.id, doc.title, doc.organization, _round(best_local), _round(best_remote)))
        hits.append([(nearest.outcomes[i], sim) for i, sim in top])
    institutions, experts = _suppliers(hits, "institution"), _suppliers(hits, "expert")
    return Gap(cell.topic, cell.region, cell.gap, cell.gap_kind or "absent", refs, institutions, experts)


def strength_of(cell: Cell, outcomes: list[MapDoc]) -> Strength:
    recent = sorted(outcomes, key=lambda d: (-(d.year or 0), d.id))[:_LISTED]
    refs = [OutcomeRef(d.id, d.title, d.kind, d.year, d.organization, [p.name for p in d.experts]) for d in recent]
    return Strength(cell.topic, cell.region, cell.strength, refs)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

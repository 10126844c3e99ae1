"""Demand and supply per topic × region, and the two scores staff read off a map.

- **卡脖子 gap** = max(0, D − S / α): open local needs not covered by local outcomes, counting α outcomes per need
  as cover (D = open needs of the topic in the region, S = the region's outcomes in the topic). A region with
  demand and no supply has gap D; its kind says whether remote supply exists ("remote": name who could fill it)
  or the topic has no outcome anywhere ("absent").
- **待转化 strength** = max(0, S − α · D): local outcomes beyond what local demand absorbs — an outreach list.

Records whose region is unknown are counted but score neither: a gap or a strength needs a place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from matcher.map.docs import UNKNOWN_REGION, MapDoc
from matcher.store.stages import ACCEPTED

DEFAULT_ALPHA = 2.0


@dataclass
class Cell:
    topic: int
    region: str
    needs: int = 0  # open needs (demand)
    closed_needs: int = 0
    enterprises: int = 0
    outcomes: int = 0  # local supply
    kinds: dict[str, int] = field(default_factory=dict)
    experts: int = 0
    institutions: int = 0
    remote_outcomes: int = 0  # the topic's outcomes in other regions
    met: int = 0  # needs whose pairing reached 已对接 or further
    signed: int = 0  # needs with a pairing 已签约
    gap: float = 0.0
    gap_kind: str | None = None  # "remote" | "absent" when gap > 0
    strength: float = 0.0


def recount_progress(
    cells: list[Cell], assignments: list[tuple[str, str, int]], progress: dict[str, tuple[str, str]]
) -> list[Cell]:
    """The cells with 已对接 / 已签约 counted from staff progress as it is now (`progress`: need id → region and
    furthest stage), not as it was when the map was built; the map's other figures stay as built."""
    met: Counter[tuple[int, str]] = Counter()
    signed: Counter[tuple[int, str]] = Counter()
    for side, doc_id, topic in assignments:
        if side == "need" and doc_id in progress:
            region, stage = progress[doc_id]
            met[(topic, region)] += stage in ACCEPTED
            signed[(topic, region)] += stage == "signed"
    return [replace(c, met=met[(c.topic, c.region)], signed=signed[(c.topic, c.region)]) for c in cells]


def gap_score(demand: int, supply: int, alpha: float) -> float:
    return round(max(0.0, demand - supply / alpha), 4)


def strength_score(demand: int, supply: int, alpha: float) -> float:
    return round(max(0.0, supply - alpha * demand), 4)


def _fill(cell: Cell, docs: list[MapDoc], topic_outcomes: int, alpha: float) -> Cell:
    needs = [d for d in docs if d.side == "need"]
    outcomes = [d for d in docs if d.side == "outcome"]
    open_needs = [d for d in needs if d.open]
    cell.needs, cell.closed_needs = len(open_needs), len(needs) - len(open_needs)
    cell.enterprises = len({d.organization for d in open_needs if d.organization})
    cell.outcomes = len(outcomes)
    cell.kinds = dict(sorted(Counter(d.kind for d in outcomes).items()))
    cell.experts = len({p.id for d in outcomes for p in d.experts})
    cell.institutions = len({d.organization for d in outcomes if d.organization})
    cell.remote_outcomes = topic_outcomes - len(outcomes)
    cell.met = sum(1 for d in needs if d.progress in ACCEPTED)
    cell.signed = sum(1 for d in needs if d.progress == "signed")
    if cell.region == UNKNOWN_REGION:  # counted on the map, but a gap or strength needs a place
        return cell
    cell.gap = gap_score(cell.needs, cell.outcomes, alpha)
    cell.gap_kind = ("remote" if cell.remote_outcomes else "absent") if cell.gap > 0 else None
    cell.strength = strength_score(cell.needs, cell.outcomes, alpha)
    return cell


def members(docs: Sequence[MapDoc], topics: Sequence[int]) -> dict[tuple[int, str], list[int]]:
    """Positions of the documents in each (topic, region) cell."""
    found: dict[tuple[int, str], list[int]] = {}
    for i, (doc, t) in enumerate(zip(docs, topics, strict=True)):
        found.setdefault((t, doc.region), []).append(i)
    return found


def cells(
    docs: Sequence[MapDoc],
    topics: Sequence[int],
    alpha: float = DEFAULT_ALPHA,
    groups: dict[tuple[int, str], list[int]] | None = None,
) -> list[Cell]:
    """One cell per (topic, region) that holds any document, ordered by topic then region (`groups`: the
    `members` of these documents, when the caller has them already)."""
    groups = members(docs, topics) if groups is None else groups
    per_topic: Counter[int] = Counter(t for doc, t in zip(docs, topics, strict=True) if doc.side == "outcome")
    return [_fill(Cell(t, r), [docs[i] for i in groups[(t, r)]], per_topic[t], alpha) for t, r in sorted(groups)]


def trend(docs: Sequence[MapDoc]) -> tuple[dict[str, int], dict[str, int]]:
    """Outcomes per year and needs per quarter, in time order."""
    years = Counter(str(d.year) for d in docs if d.side == "outcome" and d.year)
    quarters = Counter(d.quarter for d in docs if d.side == "need" and d.quarter)
    return dict(sorted(years.items())), dict(sorted(quarters.items()))

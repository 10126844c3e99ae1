"""Choose the pairings of a batch run: maximise total match score under capacity and spread constraints.

The problem is a min-cost flow (OR-Tools), exact and fast at tens of thousands of candidate pairs:

    source ─K→ need ─M→ (need, institution) ─1→ expert ─C→ institution ─N→ sink
    source ──────────────────── bypass, cost 0 ───────────────────────→ sink

K proposals per need, at most M experts of one institution per need, an expert at most C proposals in the run
(their own capacity overrides), an institution at most N. A pair's arc costs minus its gain (match degree plus
the same-region bonus), so the cheapest flow is the highest total gain; the bypass lets slots stay empty
rather than forcing a bad pair. Conflicts never reach here: conflicting pairs are not candidates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.errors import MatcherError

SCALE = 1000  # gains are rounded to 1/1000 of a point for the integer solver
UNLIMITED = 1 << 30


@dataclass(frozen=True)
class Pair:
    """A conflict-free (need, expert) candidate; `score` is the match degree (0–100)."""

    need: int
    expert: int
    institution: int | None
    score: float
    same_region: bool = False


@dataclass(frozen=True)
class Limits:
    per_need: int = 3
    expert_capacity: int = 5
    institution_capacity: int | None = None
    max_per_institution: int = 2
    region_bonus: float = 10.0


def gain(pair: Pair, limits: Limits) -> float:
    return pair.score + (limits.region_bonus if pair.same_region else 0.0)


def total_gain(pairs: Iterable[Pair], limits: Limits) -> float:
    return float(sum(gain(p, limits) for p in pairs))


def _institution_key(pair: Pair) -> Hashable:
    """An expert without institution is an institution of one (limits per institution must not lump them)."""
    return pair.institution if pair.institution is not None else ("expert", pair.expert)


class _Nodes:
    """Node numbers handed out on first use; 0 is the source, 1 the sink."""

    def __init__(self) -> None:
        self.ids: dict[Hashable, int] = {}

    def __call__(self, key: Hashable) -> int:
        return self.ids.setdefault(key, len(self.ids) + 2)


class _Arcs:
    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, int]] = []
        self.seen: set[tuple[int, int]] = set()

    def add(self, tail: int, head: int, capacity: int, cost: int = 0) -> int:
        self.rows.append((tail, head, capacity, cost))
        return len(self.rows) - 1

    def once(self, tail: int, head: int, capacity: int) -> None:
        if (tail, head) not in self.seen:
            self.seen.add((tail, head))
            self.add(tail, head, capacity)


def solve(pairs: list[Pair], limits: Limits, capacities: Mapping[int, int] | None = None) -> list[Pair]:
    """The chosen pairs (optimal total gain). `capacities` overrides the expert capacity per expert pk."""
    capacities = capacities or {}
    pairs = sorted(pairs, key=lambda p: (p.need, p.expert))  # same input order → same optimum on ties
    node, arcs = _Nodes(), _Arcs()
    pair_arcs: list[int] = []
    for p in pairs:
        need, inst = node(("need", p.need)), _institution_key(p)
        need_inst, expert, inst_node = node(("ni", p.need, inst)), node(("expert", p.expert)), node(("inst", inst))
        arcs.once(0, need, limits.per_need)
        arcs.once(need, need_inst, limits.max_per_institution)
        pair_arcs.append(arcs.add(need_inst, expert, 1, -round(gain(p, limits) * SCALE)))
        arcs.once(expert, inst_node, capacities.get(p.expert, limits.expert_capacity))
        arcs.once(inst_node, 1, limits.institution_capacity or UNLIMITED)
    if not pairs:
        return []
    flow = _run(arcs, node, limits.per_need * len({p.need for p in pairs}))
    return [p for p, a in zip(pairs, pair_arcs, strict=True) if flow[a] > 0]


def _run(arcs: _Arcs, node: _Nodes, supply: int) -> np.ndarray:
    arcs.add(0, 1, supply)  # bypass: unfilled slots cost nothing
    tails, heads, caps, costs = (np.array(col, dtype=np.int64) for col in zip(*arcs.rows, strict=True))
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(len(node.ids) + 2, dtype=np.int64)
    supplies[0], supplies[1] = supply, -supply
    smcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int64), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise MatcherError(f"the assignment solver failed (status {status})")
    return np.asarray(smcf.flows(np.arange(len(arcs.rows), dtype=np.int64)))


def greedy(pairs: list[Pair], limits: Limits, capacities: Mapping[int, int] | None = None) -> list[Pair]:
    """Best pair first while the limits allow: the baseline the solver is measured against."""
    capacities = capacities or {}
    per_need: Counter[int] = Counter()
    per_expert: Counter[int] = Counter()
    per_inst: Counter[Hashable] = Counter()
    per_need_inst: Counter[tuple[int, Hashable]] = Counter()
    chosen = []
    for p in sorted(pairs, key=lambda p: (-gain(p, limits), p.need, p.expert)):
        inst = _institution_key(p)
        if (
            per_need[p.need] < limits.per_need
            and per_expert[p.expert] < capacities.get(p.expert, limits.expert_capacity)
            and per_inst[inst] < (limits.institution_capacity or UNLIMITED)
            and per_need_inst[(p.need, inst)] < limits.max_per_institution
        ):
            chosen.append(p)
            per_need[p.need] += 1
            per_expert[p.expert] += 1
            per_inst[inst] += 1
            per_need_inst[(p.need, inst)] += 1
    return chosen


def alternates(
    pairs: list[Pair], chosen: list[Pair], limits: Limits, n: int, capacities: Mapping[int, int] | None = None
) -> dict[int, list[Pair]]:
    """Per need, the `n` best candidates not chosen: experts with capacity left first, then by gain.

    Alternates are who staff call when a proposed expert declines; they do not use up capacity.
    """
    capacities = capacities or {}
    load = Counter(p.expert for p in chosen)
    taken = {(p.need, p.expert) for p in chosen}
    by_need: dict[int, list[Pair]] = defaultdict(list)
    for p in pairs:
        if (p.need, p.expert) not in taken:
            by_need[p.need].append(p)

    def order(p: Pair) -> tuple[bool, float, int]:
        full = load[p.expert] >= capacities.get(p.expert, limits.expert_capacity)
        return (full, -gain(p, limits), p.expert)

    return {need: sorted(rest, key=order)[:n] for need, rest in by_need.items() if n > 0}

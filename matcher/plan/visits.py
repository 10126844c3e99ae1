"""Visit and delegation plans (对接会, 走出去、请进来): the K institutions a delegation of enterprises should visit,
or the K experts to send to a region, that together serve the selected needs best (weighted maximum coverage,
`coverage.solve`), each stop with its agenda: the enterprises and needs it serves, the experts to meet, evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matcher.errors import NotFoundError
from matcher.plan.coverage import Cover, greedy, solve
from matcher.plan.matches import Candidate, NeedMatches
from matcher.search.degree import probability


@dataclass
class AgendaItem:
    need_id: str
    need: str
    enterprise: str | None
    degree: float  # 0–100
    evidence: list[str]


@dataclass
class Stop:
    order: int
    id: str
    name: str
    region: str | None
    institution: str | None
    experts: list[str]
    value: float
    agenda: list[AgendaItem] = field(default_factory=list)


@dataclass
class Plan:
    kind: str  # visit | delegation
    stops: list[Stop]
    value: float
    greedy_value: float
    optimal: bool
    bound: float | None  # proven upper limit on the value (= value when optimal)
    needs: int
    served: int
    unserved: list[str]  # ids of selected needs no stop serves


def weights(
    matches: list[NeedMatches], region: str | None, min_degree: float = 0.0
) -> tuple[np.ndarray, list[Candidate]]:
    """W[need, facility] = the probability the 匹配度 stands for, over every candidate (in `region`, when given) of
    any selected need; pairings below `min_degree` (匹配度) are not worth a meeting and count 0."""
    facilities: dict[str, Candidate] = {}
    for need in matches:
        for c in need.candidates:
            if (region is None or c.region == region) and c.degree >= min_degree:
                facilities.setdefault(c.id, c)
    if not facilities:
        raise NotFoundError((f"{region}" if region else "") + "没有能服务这些需求的单位或专家")
    column = {fid: j for j, fid in enumerate(facilities)}
    W = np.zeros((len(matches), len(facilities)))
    for i, need in enumerate(matches):
        for c in need.candidates:
            if c.id in column and c.degree >= min_degree:
                W[i, column[c.id]] = max(W[i, column[c.id]], probability(c.degree))
    return W, list(facilities.values())


def _stop(order: int, fac: Candidate, rows: list[int], matches: list[NeedMatches], W: np.ndarray, j: int) -> Stop:
    agenda = []
    for i in sorted(rows, key=lambda r: -W[r, j]):
        need = matches[i]
        cand = next(c for c in need.candidates if c.id == fac.id)
        agenda.append(AgendaItem(need.id, need.title, need.organization, cand.degree, cand.evidence[:2]))
    experts = list(dict.fromkeys(e for i in rows for c in matches[i].candidates if c.id == fac.id for e in c.experts))
    value = round(float(sum(W[i, j] for i in rows)), 4)
    return Stop(order, fac.id, fac.name, fac.region, fac.institution, experts[:5], value, agenda)


def make_plan(
    matches: list[NeedMatches],
    *,
    kind: str,
    k: int,
    region: str | None = None,
    capacity: int | None = None,
    min_degree: float = 0.0,
) -> Plan:
    W, facilities = weights(matches, region, min_degree)
    best: Cover = solve(W, k, capacity)
    rows_of: dict[int, list[int]] = {j: [] for j in best.chosen}
    for i, j in best.assignment.items():
        rows_of[j].append(i)
    stops = [_stop(o, facilities[j], rows_of[j], matches, W, j) for o, j in enumerate(best.chosen, 1)]
    served = set(best.assignment)
    return Plan(
        kind=kind,
        stops=stops,
        value=round(best.value, 4),
        greedy_value=round(greedy(W, k, capacity).value, 4),
        optimal=best.optimal,
        bound=best.bound,
        needs=len(matches),
        served=len(served),
        unserved=[m.id for i, m in enumerate(matches) if i not in served],
    )

"""Weighted maximum coverage for visit and delegation plans: choose at most `k` facilities (institutions to visit,
experts to send) so that the needs they serve best add up to the most match degree.

`W[n, f]` is how well facility f serves need n (0 = not a candidate). A need counts once, through the chosen
facility that serves it best; with a `capacity`, a facility serves at most that many needs (an expert's time).
Solved exactly as a mixed-integer program (SCIP through OR-Tools: on this facility-location structure its LP
bound proves optimality where CP-SAT searched for seconds); `greedy` (the best marginal gain, k times) is reported
beside it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp
from scipy.optimize import linear_sum_assignment

from matcher.errors import ConflictError, InputError


@dataclass(frozen=True)
class Cover:
    chosen: list[int]  # facility columns, in order of the value they add
    assignment: dict[int, int]  # need row → the facility column that serves it
    value: float
    optimal: bool
    bound: float | None = None  # the solver's proven upper limit on the value (None for greedy)


def _check(W: np.ndarray, k: int, capacity: int | None) -> None:
    if k < 1:
        raise InputError("走访站数或专家人数至少为 1")
    if k > W.shape[1]:  # the request is well formed; the data cannot satisfy it
        raise ConflictError(f"需要 {k} 个，但能服务这些需求的候选只有 {W.shape[1]} 个")
    if capacity is not None and capacity < 1:
        raise InputError("每位专家对接的需求数至少为 1")


def assign(W: np.ndarray, chosen: list[int], capacity: int | None) -> dict[int, int]:
    """The best assignment of needs to the chosen facilities (each need at most once, each facility at most
    `capacity` needs), by exact maximum-weight matching."""
    if not chosen:
        return {}
    if capacity is None:
        sub = W[:, chosen]
        best = sub.argmax(axis=1)
        return {n: chosen[int(c)] for n, c in enumerate(best) if sub[n, c] > 0}
    slots = [f for f in chosen for _ in range(min(capacity, W.shape[0]))]
    rows, cols = linear_sum_assignment(W[:, slots], maximize=True)
    return {int(n): slots[int(c)] for n, c in zip(rows, cols, strict=True) if W[n, slots[c]] > 0}


def set_value(W: np.ndarray, chosen: list[int], capacity: int | None) -> float:
    return float(sum(W[n, f] for n, f in assign(W, chosen, capacity).items()))


def greedy(W: np.ndarray, k: int, capacity: int | None = None) -> Cover:
    """Add the facility with the largest gain, k times (ties: the lower column)."""
    _check(W, k, capacity)
    chosen: list[int] = []
    for _ in range(k):
        rest = [f for f in range(W.shape[1]) if f not in chosen]
        gains = [set_value(W, [*chosen, f], capacity) for f in rest]
        chosen.append(rest[int(np.argmax(gains))])
    return Cover(chosen, assign(W, chosen, capacity), set_value(W, chosen, capacity), optimal=False)


def solve(W: np.ndarray, k: int, capacity: int | None = None, *, seconds: float = 30.0) -> Cover:
    """The optimum by mixed-integer programming (SCIP through OR-Tools), warm-started from greedy; within
    `seconds`, else the best found (`optimal` False, `bound` the proven upper limit)."""
    _check(W, k, capacity)
    solver = pywraplp.Solver.CreateSolver("SCIP")
    x = [solver.BoolVar(f"x{f}") for f in range(W.shape[1])]
    y = {(int(n), int(f)): solver.BoolVar(f"y{n}_{f}") for n, f in zip(*np.nonzero(W > 0), strict=True)}
    solver.Add(solver.Sum(x) <= k)
    by_need: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    by_facility: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    for (n, f), var in y.items():
        by_need[n].append(var)
        by_facility[f].append(var)
        solver.Add(var <= x[f])
    for row in by_need.values():
        solver.Add(solver.Sum(row) <= 1)
    for f, column in by_facility.items() if capacity is not None else ():
        solver.Add(solver.Sum(column) <= capacity * x[f])
    solver.Maximize(solver.Sum([float(W[n, f]) * v for (n, f), v in y.items()]))
    _hint(solver, x, y, greedy(W, k, capacity))
    solver.SetTimeLimit(int(seconds * 1000))
    status = solver.Solve()
    chosen = _fill(W, [f for f in range(W.shape[1]) if x[f].solution_value() > 0.5], k)
    return Cover(
        _by_gain(W, chosen, capacity),
        assign(W, chosen, capacity),
        set_value(W, chosen, capacity),
        optimal=status == pywraplp.Solver.OPTIMAL,
        bound=round(float(solver.Objective().BestBound()), 4),
    )


def _hint(solver: pywraplp.Solver, x: list[Any], y: dict[tuple[int, int], Any], start: Cover) -> None:
    pairs = set(start.assignment.items())
    variables = [*x, *y.values()]
    values = [float(f in start.chosen) for f in range(len(x))] + [float(key in pairs) for key in y]
    solver.SetHint(variables, values)


def _fill(W: np.ndarray, chosen: list[int], k: int) -> list[int]:
    """Stops that add nothing are still stops: fill up to k with the best remaining facilities by total weight."""
    rest = sorted((f for f in range(W.shape[1]) if f not in chosen), key=lambda f: (-W[:, f].sum(), f))
    return chosen + rest[: k - len(chosen)]


def _by_gain(W: np.ndarray, chosen: list[int], capacity: int | None) -> list[int]:
    """`chosen` in the order a greedy pass over them would add them (the most valuable stop first)."""
    ordered: list[int] = []
    while len(ordered) < len(chosen):
        rest = [f for f in chosen if f not in ordered]
        ordered.append(max(rest, key=lambda f: (set_value(W, [*ordered, f], capacity), -f)))
    return ordered

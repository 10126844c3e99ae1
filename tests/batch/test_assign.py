"""The assignment on hand-built instances: each limit holds, the optimum is found, greedy is beaten."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from matcher.assign.solver import Limits, Pair, alternates, gain, greedy, solve, total_gain

NO_BONUS = Limits(per_need=1, expert_capacity=1, max_per_institution=1, region_bonus=0)


def test_solver_beats_greedy_where_greedy_is_suboptimal() -> None:
    # expert 10 serves one need: greedy gives it to need 1 (90) and leaves need 2 with expert 12 (10) = 100;
    # the optimum gives need 1 expert 11 (80) and need 2 expert 10 (85) = 165
    pairs = [Pair(1, 10, None, 90), Pair(1, 11, None, 80), Pair(2, 10, None, 85), Pair(2, 12, None, 10)]
    assert total_gain(greedy(pairs, NO_BONUS), NO_BONUS) == 100
    chosen = solve(pairs, NO_BONUS)
    assert {(p.need, p.expert) for p in chosen} == {(1, 11), (2, 10)}
    assert total_gain(chosen, NO_BONUS) == 165


def test_k_per_need_takes_the_best() -> None:
    pairs = [Pair(1, e, e, s) for e, s in [(1, 50), (2, 90), (3, 70), (4, 60)]]
    chosen = solve(pairs, Limits(per_need=2, region_bonus=0))
    assert sorted(p.expert for p in chosen) == [2, 3]


def test_expert_capacity_and_own_capacity_override() -> None:
    pairs = [Pair(n, 7, 1, 90) for n in range(5)] + [Pair(n, 8, 2, 10) for n in range(5)]
    limits = Limits(per_need=1, expert_capacity=3, region_bonus=0)
    assert Counter(p.expert for p in solve(pairs, limits)) == {7: 3, 8: 2}
    assert Counter(p.expert for p in solve(pairs, limits, {7: 1})) == {7: 1, 8: 3}  # one need unserved
    assert Counter(p.expert for p in solve(pairs, limits, {7: 0, 8: 0})) == {}


def test_institution_capacity() -> None:
    # experts 1 and 2 of institution 100 are best everywhere; the institution may take 3 proposals in all
    pairs = [Pair(n, e, 100, 90) for n in range(3) for e in (1, 2)] + [Pair(n, 3, 200, 20) for n in range(3)]
    limits = Limits(per_need=2, expert_capacity=10, institution_capacity=3, max_per_institution=2, region_bonus=0)
    chosen = solve(pairs, limits)
    assert Counter(p.institution for p in chosen) == {100: 3, 200: 3}


def test_max_experts_of_one_institution_per_need() -> None:
    pairs = [Pair(1, 1, 100, 95), Pair(1, 2, 100, 90), Pair(1, 3, 100, 85), Pair(1, 4, 200, 10)]
    chosen = solve(pairs, Limits(per_need=3, max_per_institution=2, region_bonus=0))
    assert sorted(p.expert for p in chosen) == [1, 2, 4]


def test_experts_without_institution_are_not_lumped_together() -> None:
    pairs = [Pair(1, e, None, 50) for e in (1, 2, 3)]
    assert len(solve(pairs, Limits(per_need=3, max_per_institution=1, institution_capacity=1))) == 3


def test_region_bonus_is_soft() -> None:
    pairs = [Pair(1, 1, 1, 85, same_region=False), Pair(1, 2, 2, 80, same_region=True)]
    assert solve(pairs, Limits(per_need=1, region_bonus=10))[0].expert == 2
    assert solve(pairs, Limits(per_need=1, region_bonus=0))[0].expert == 1
    assert gain(pairs[1], Limits(region_bonus=10)) == 90


def test_empty_input() -> None:
    assert solve([], Limits()) == []


def _feasible(chosen: tuple[Pair, ...], limits: Limits) -> bool:
    per_need = Counter(p.need for p in chosen)
    per_expert = Counter(p.expert for p in chosen)
    per_inst = Counter(p.institution for p in chosen)
    per_need_inst = Counter((p.need, p.institution) for p in chosen)
    return (
        max(per_need.values(), default=0) <= limits.per_need
        and max(per_expert.values(), default=0) <= limits.expert_capacity
        and max(per_inst.values(), default=0) <= (limits.institution_capacity or 99)
        and max(per_need_inst.values(), default=0) <= limits.max_per_institution
    )


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_brute_force_optimum(seed: int) -> None:
    rng = random.Random(seed)
    limits = Limits(
        per_need=rng.choice([1, 2]),
        expert_capacity=rng.choice([1, 2]),
        institution_capacity=rng.choice([None, 2, 3]),
        max_per_institution=rng.choice([1, 2]),
        region_bonus=rng.choice([0, 10]),
    )
    pairs = [
        Pair(n, e, e % 2, rng.randint(1, 100), rng.random() < 0.3)
        for n in range(3)
        for e in range(4)
        if rng.random() < 0.8
    ]
    best = max(
        total_gain(subset, limits)
        for k in range(len(pairs) + 1)
        for subset in itertools.combinations(pairs, k)
        if k <= 6 and _feasible(subset, limits)
    )
    chosen = solve(pairs, limits)
    assert _feasible(tuple(chosen), limits)
    assert total_gain(chosen, limits) == pytest.approx(best)
    assert total_gain(chosen, limits) >= total_gain(greedy(pairs, limits), limits)


def test_alternates_prefer_experts_with_capacity_left() -> None:
    pairs = [Pair(1, 1, 1, 90), Pair(1, 2, 2, 80), Pair(1, 3, 3, 70), Pair(2, 2, 2, 95)]
    limits = Limits(per_need=1, expert_capacity=1, region_bonus=0)
    chosen = solve(pairs, limits)
    assert {(p.need, p.expert) for p in chosen} == {(1, 1), (2, 2)}
    # expert 2 is full (proposed for need 2), so expert 3 comes first although it scores lower
    assert [p.expert for p in alternates(pairs, chosen, limits, 2)[1]] == [3, 2]
    assert alternates(pairs, chosen, limits, 0) == {}

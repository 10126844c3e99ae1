"""The coverage solver behind visit and delegation plans: equal to brute force on small random instances, better
than greedy where greedy is myopic, capacities respected, bad sizes rejected."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from matcher.errors import ConflictError, InputError
from matcher.plan.coverage import assign, greedy, set_value, solve


def _brute(W: np.ndarray, k: int, capacity: int | None) -> float:
    return max(set_value(W, list(c), capacity) for c in itertools.combinations(range(W.shape[1]), k))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("capacity", [None, 2])
def test_solver_equals_brute_force(seed: int, capacity: int | None) -> None:
    rng = np.random.default_rng(seed)
    W = np.round(rng.random((7, 6)) * (rng.random((7, 6)) < 0.5), 3)
    for k in (1, 2, 3):
        cover = solve(W, k, capacity)
        assert cover.optimal and len(cover.chosen) == k
        assert cover.value == pytest.approx(_brute(W, k, capacity), abs=1e-3 * W.shape[0])


def test_greedy_is_myopic_where_the_solver_is_not() -> None:
    # X serves all four needs fairly (0.55 each = 2.2); A and B each serve two needs fully (2.0 each)
    W = np.array([[0.55, 1, 0], [0.55, 1, 0], [0.55, 0, 1], [0.55, 0, 1]])
    assert greedy(W, 2).chosen[0] == 0 and greedy(W, 2).value == pytest.approx(3.1)
    best = solve(W, 2)
    assert sorted(best.chosen) == [1, 2] and best.value == pytest.approx(4.0)
    assert best.assignment == {0: 1, 1: 1, 2: 2, 3: 2}


def test_capacity_limits_how_many_needs_a_facility_serves() -> None:
    W = np.array([[0.9, 0.2], [0.8, 0.3], [0.7, 0.0]])
    assert assign(W, [0], capacity=2) == {0: 0, 1: 0}
    assert solve(W, 2, capacity=1).value == pytest.approx(0.9 + 0.3)  # need 0 → 0, need 1 → 1


def test_bad_sizes_are_clear_errors() -> None:
    W = np.ones((2, 2))
    for k, capacity in ((0, None), (1, 0)):
        with pytest.raises(InputError):
            solve(W, k, capacity)
    with pytest.raises(ConflictError, match="需要 3 个，但能服务这些需求的候选只有 2 个"):
        solve(W, 3)

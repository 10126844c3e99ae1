"""Whose list to judge from next: a MaxMean bandit over the signals' lists (after Losada, Parapar and Barreiro's
pooling bandits). Each arm is one signal's ranking (BM25, dense, the fused retrieval, the ranker, …); pulling an arm
judges its best unjudged candidate, and the arm's reward is whether that pair was relevant. An arm's value is the
mean of its Beta(1 + found, 1 + pulled − found) posterior, (found + 1) / (pulled + 2): an arm never pulled is worth
1/2, and the arm with the highest value is pulled next (equal values: the first arm in the given order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class MaxMean:
    """Rewards per arm (`arms` in their order of preference on equal values)."""

    arms: tuple[str, ...]
    found: dict[str, int] = field(default_factory=dict)
    pulled: dict[str, int] = field(default_factory=dict)

    def value(self, arm: str) -> float:
        """(relevant pairs found + 1) / (pairs judged + 2): the Beta posterior's mean."""
        return (self.found.get(arm, 0) + 1) / (self.pulled.get(arm, 0) + 2)

    def choose(self, available: Iterable[str] | None = None) -> str | None:
        """The arm of the highest value among `available` (default: all), None when none is available."""
        allowed = set(self.arms if available is None else available)
        best: str | None = None
        for arm in self.arms:
            if arm in allowed and (best is None or self.value(arm) > self.value(best)):
                best = arm
        return best

    def reward(self, arm: str, relevant: bool) -> None:
        """One pull of `arm` and whether its pair was relevant."""
        self.pulled[arm] = self.pulled.get(arm, 0) + 1
        self.found[arm] = self.found.get(arm, 0) + int(relevant)


def credited(places: Mapping[str, float]) -> list[str]:
    """The arms a judged pair is credited to when nobody recorded which arm chose it: those that put it highest
    (its smallest place in their lists, as a fraction of the list; equals all credited)."""
    best = min(places.values(), default=None)
    return [arm for arm, place in places.items() if place == best]

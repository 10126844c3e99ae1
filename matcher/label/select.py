"""Which pairs are worth a staff member's minute: active selection over candidate (need, target) pairs.

A pair's priority is how unsure the ranker is — its probability of relevance near the weak line scores 1, a sure
yes or no 0 — plus half how much the signals disagree on it (BM25, dense and the ranker: the spread of the pair's
rank percentiles within its need, 0 when they agree, 1 when one puts it first and another last). Pairs are taken
greedily by priority divided by how often their need (and, half as much, their field) was already taken, so an
afternoon's judgements spread over needs and fields. Pairs already judged or skipped are never offered. `random`
is the baseline: a uniform sample of the same pool.

The served loop (`label/pool.py`) and the simulated labeller (`evaluation/learning.py`) both choose through here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

STRATEGIES = ("active", "random")
DISAGREEMENT_WEIGHT = 0.5
FIELD_SPREAD = 0.5


@dataclass(frozen=True)
class Candidate:
    """One (need, target) pair that could be judged: its probability of relevance and its rank percentile under
    each signal within its need's candidates (0 = first, 1 = last)."""

    need: str
    target: str
    probability: float
    ranks: tuple[float, ...] = ()
    field: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.need, self.target


def uncertainty(probability: float, line: float) -> float:
    """1 at the weak line, falling linearly to 0 at 0 and at 1 (`line` strictly between 0 and 1)."""
    span = line if probability <= line else 1.0 - line
    return max(0.0, 1.0 - abs(probability - line) / span)


def disagreement(ranks: Sequence[float]) -> float:
    """The spread of a pair's rank percentiles over the signals (0 with fewer than two)."""
    return float(max(ranks) - min(ranks)) if len(ranks) > 1 else 0.0


def priority(candidate: Candidate, line: float) -> float:
    return uncertainty(candidate.probability, line) + DISAGREEMENT_WEIGHT * disagreement(candidate.ranks)


def percentiles(scores: Sequence[float]) -> list[float]:
    """Rank percentile of each score among `scores` (best = 0.0, worst = 1.0; a single score is 0.0)."""
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    out = np.empty(len(order))
    out[order] = np.arange(len(order)) / max(len(order) - 1, 1)
    return out.tolist()


def choose(
    candidates: Sequence[Candidate],
    k: int,
    *,
    line: float,
    done: Collection[tuple[str, str]] = (),
    strategy: str = "active",
    seed: int = 0,
) -> list[Candidate]:
    """Up to `k` pairs to judge next, never one in `done` (judged or skipped) nor the same pair twice."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    seen = set(done)
    pool = []
    for c in candidates:
        if c.key not in seen:
            seen.add(c.key)
            pool.append(c)
    if strategy == "random":
        picked = np.random.default_rng(seed).permutation(len(pool))[:k]
        return [pool[i] for i in picked]
    return _spread(pool, k, [priority(c, line) for c in pool])


def _spread(pool: list[Candidate], k: int, scores: list[float]) -> list[Candidate]:
    """Greedy: the best score divided by 1 + the picks of its need + half the picks of its field."""
    need_of = _codes([c.need for c in pool])
    field_of = _codes([c.field or "" for c in pool])
    has_field = np.array([c.field is not None for c in pool])
    need_picks, field_picks = np.zeros(need_of.max(initial=0) + 1), np.zeros(field_of.max(initial=0) + 1)
    score, open_ = np.asarray(scores, float), np.ones(len(pool), bool)
    chosen: list[Candidate] = []
    while open_.any() and len(chosen) < k:
        spread = 1 + need_picks[need_of] + FIELD_SPREAD * np.where(has_field, field_picks[field_of], 0)
        share = np.where(open_, score / spread, -np.inf)
        best = int(np.argmax(share))  # the first of equals: the pool's order breaks ties
        open_[best] = False
        need_picks[need_of[best]] += 1
        field_picks[field_of[best]] += 1
        chosen.append(pool[best])
    return chosen


def _codes(values: list[str]) -> np.ndarray:
    index: dict[str, int] = {}
    return np.array([index.setdefault(v, len(index)) for v in values], dtype=int)

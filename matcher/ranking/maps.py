"""The shape of a 匹配度 map: from a served score to the probability of a relevant judgement, strictly increasing
and smooth, and never more confident at the top than the judged pairs there allow.

Two families, each reduced to knots (x strictly increasing, y strictly increasing) joined by straight lines:

- `isotonic`: pool-adjacent-violators blocks over the pairs sorted by score; each block's rate of relevant pairs
  shrunk toward the base rate by its count, (k + PRIOR · base) / (n + PRIOR) (a Beta prior worth PRIOR pairs), the
  blocks pooled again where the shrink broke the order; a knot at each block's mean score.
- `platt`: a logistic curve σ(a · score + b) (a > 0) sampled at quantiles of the scores and on past the highest
  score by the scores' range (a corpus scored higher than the judged one keeps rising along the curve), bent under
  the ceiling smoothly: y ← ceiling · tanh(y / ceiling) (≈ y well below it, never above it, never flat).

Then every family is capped at the ceiling — the shrunk rate of the top isotonic block, so a top bin of a few dozen
pairs never reads 100 — and made strictly increasing: y ← (1 − STRICT) · y + STRICT · ceiling · i / (K − 1) for
knot i of K. Outside the knots the map keeps rising, by at most STRICT of the room left (above) or of the value
(below), over an exponential of the distance in units of `scale`, so order survives beyond the judged range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

PRIOR = 20.0  # pseudo-pairs of the shrink toward the base rate
STRICT = 0.02  # the share of a map that rises with the knot's index (keeps it strictly increasing)
PLATT_KNOTS = 40
FAMILIES = ("isotonic", "platt")


@dataclass(frozen=True)
class Blocks:
    """Pool-adjacent-violators blocks in score order: mean score, rate of relevant pairs, pairs."""

    x: np.ndarray
    rate: np.ndarray
    n: np.ndarray


def pav(x: np.ndarray, rate: np.ndarray, n: np.ndarray, weight: np.ndarray) -> Blocks:
    """Pool adjacent units (sorted by x) until their rates do not decrease; a pooled rate is the `weight`-weighted
    mean of its units', a pooled x the n-weighted mean."""
    stack: list[list[float]] = []  # [x·n, n, rate·w, w]
    for xi, ri, ni, wi in zip(x.tolist(), rate.tolist(), n.tolist(), weight.tolist(), strict=True):
        stack.append([xi * ni, ni, ri * wi, wi])
        while len(stack) > 1 and stack[-2][2] / stack[-2][3] >= stack[-1][2] / stack[-1][3]:
            top = stack.pop()
            stack[-1] = [a + b for a, b in zip(stack[-1], top, strict=True)]
    rows = np.array(stack, dtype=float).reshape(-1, 4)
    return Blocks(rows[:, 0] / rows[:, 1], rows[:, 2] / rows[:, 3], rows[:, 1])


def blocks(scores: np.ndarray, labels: np.ndarray) -> Blocks:
    """The isotonic blocks of (score, label) pairs (equal scores form one unit)."""
    order = np.argsort(scores, kind="stable")
    s, y = np.asarray(scores, float)[order], np.asarray(labels, float)[order]
    xs, first = np.unique(s, return_index=True)
    n = np.diff(np.append(first, len(s))).astype(float)
    k = np.add.reduceat(y, first)
    return pav(xs, k / n, n, n)


def shrunk(found: Blocks, base: float, prior: float = PRIOR) -> Blocks:
    """Each block's rate shrunk toward `base` by its count, (k + prior · base) / (n + prior), pooled again (with
    weight n + prior) where that broke the order."""
    rates = (found.rate * found.n + prior * base) / (found.n + prior)
    return pav(found.x, rates, found.n, found.n + prior)


def strict(y: np.ndarray, ceiling: float, share: float = STRICT) -> np.ndarray:
    """Knot values capped at `ceiling` and made strictly increasing by the knot index's share."""
    y = np.minimum(np.asarray(y, float), ceiling)
    steps = np.arange(len(y)) / (len(y) - 1) if len(y) > 1 else np.ones(1)
    return (1 - share) * y + share * ceiling * steps


@dataclass(frozen=True)
class Knots:
    x: list[float]
    y: list[float]
    scale: float  # the score distance over which a tail rises by (1 − 1/e) of its room


def isotonic_knots(scores: np.ndarray, labels: np.ndarray, prior: float = PRIOR) -> Knots:
    found = shrunk(blocks(scores, labels), float(np.mean(labels)), prior)
    return _knots(found.x, strict(found.rate, float(found.rate[-1])), scores)


def platt_knots(scores: np.ndarray, labels: np.ndarray, ceiling: float) -> Knots | None:
    """Knots of σ(a · score + b) at quantiles of the scores, or None when the fit is not increasing."""
    if len(set(labels.tolist())) < 2:
        return None
    mu, sd = float(scores.mean()), float(scores.std()) or 1.0
    fit = LogisticRegression(C=1e4, max_iter=1000).fit(((scores - mu) / sd).reshape(-1, 1), labels)
    a, b = float(fit.coef_[0, 0]) / sd, float(fit.intercept_[0]) - float(fit.coef_[0, 0]) * mu / sd
    if a <= 0:
        return None
    top, span = float(scores.max()), float(np.ptp(scores)) or 1.0
    beyond = top + span * np.linspace(0, 1, PLATT_KNOTS // 4 + 1)[1:]
    x = np.unique(np.r_[np.quantile(scores, np.linspace(0, 1, PLATT_KNOTS)), beyond])
    return _knots(x, strict(soft_cap(1 / (1 + np.exp(-(a * x + b))), ceiling), ceiling), scores)


def soft_cap(y: np.ndarray, ceiling: float) -> np.ndarray:
    """`y` bent smoothly under `ceiling`: strictly increasing, ≈ y far below it, below it always."""
    return ceiling * np.tanh(np.asarray(y, float) / ceiling)


def _knots(x: np.ndarray, y: np.ndarray, scores: np.ndarray) -> Knots:
    scale = float(np.ptp(scores)) or 1.0
    return Knots([float(v) for v in x], [float(v) for v in y], scale)


def ceiling_of(scores: np.ndarray, labels: np.ndarray, prior: float = PRIOR) -> float:
    """The most a map may say: the shrunk rate of the top isotonic block."""
    return float(shrunk(blocks(scores, labels), float(np.mean(labels)), prior).rate[-1])


def fit_knots(family: str, scores: np.ndarray, labels: np.ndarray) -> Knots | None:
    if family == "isotonic":
        return isotonic_knots(scores, labels)
    return platt_knots(scores, labels, ceiling_of(scores, labels))


def apply(knots: Knots, scores: np.ndarray, share: float = STRICT) -> np.ndarray:
    """The map at `scores`: straight lines between knots; beyond them a bounded rise that keeps the order."""
    s = np.asarray(scores, float)
    x, y = np.asarray(knots.x), np.asarray(knots.y)
    out = np.interp(s, x, y)
    above, below = s > x[-1], s < x[0]
    out[above] = y[-1] + share * (1 - y[-1]) * (1 - np.exp(-(s[above] - x[-1]) / knots.scale))
    out[below] = y[0] * (1 - share * (1 - np.exp(-(x[0] - s[below]) / knots.scale)))
    return out

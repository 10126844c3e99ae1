"""Cross-validation grouped by need, shared by both rankers: a judged set, one CV table shape, configuration
choice, and nested CV (outer folds score needs no model saw; inner folds choose the configuration)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from sklearn.model_selection import GroupKFold

from matcher.ranking.qrels import Qrels, Ranking, evaluate_run

Progress = Callable[[int], None]


class Estimator(Protocol):
    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Estimator: ...

    def decision_function(self, X: np.ndarray) -> np.ndarray: ...


Make = Callable[..., Estimator]


@dataclass
class JudgedSet:
    """Feature rows of judged (need, target) pairs: labels, the need index of each row, need and target ids."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    queries: list[str]
    targets: list[str]
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        grades = {str(int(g)): int((self.y == g).sum()) for g in np.unique(self.y)}
        return {
            "needs": len(self.queries),
            "pairs": len(self.y),
            "relevant": int((self.y > 0).sum()),
            "grades": grades,
            "skipped_needs": len(self.skipped),
        }

    def rows_of(self, queries: set[str]) -> np.ndarray:
        return np.flatnonzero([self.queries[g] in queries for g in self.groups])

    def subset(self, rows: np.ndarray) -> JudgedSet:
        kept = sorted(set(self.groups[rows].tolist()))
        remap = {g: i for i, g in enumerate(kept)}
        groups = np.array([remap[g] for g in self.groups[rows]], dtype=int)
        return JudgedSet(
            self.X[rows], self.y[rows], groups, [self.queries[g] for g in kept], [self.targets[r] for r in rows]
        )

    def run(self, rows: np.ndarray, scores: np.ndarray) -> Ranking:
        found: Ranking = {}
        for r, s in zip(rows, scores, strict=True):
            found.setdefault(self.queries[self.groups[r]], {})[self.targets[r]] = float(s)
        return found


@dataclass(frozen=True)
class Selection:
    """How a ranker is chosen: the metric, folds, and the rule picking a row of the CV table."""

    metric: str
    folds: int = 5
    rule: str = "best"  # best | one-se (the first configuration within one standard error of the best)


def group_folds(groups: np.ndarray, folds: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    n = min(folds, len(np.unique(groups)))
    yield from GroupKFold(n_splits=n).split(groups, groups=groups)


def fold_scores(
    ts: JudgedSet, qrels: Qrels, make: Make, params: dict[str, Any], how: Selection
) -> tuple[list[float], np.ndarray]:
    """The metric of a make(**params) model on each held-out fold of needs, and every row's out-of-fold raw score
    (from the model that did not see its need)."""
    scores, raw = [], np.zeros(len(ts.y))
    for train, test in group_folds(ts.groups, how.folds):
        model = make(**params).fit(ts.X[train], ts.y[train], ts.groups[train])
        raw[test] = model.decision_function(ts.X[test])
        scores.append(evaluate_run(qrels, ts.run(test, raw[test]), how.metric))
    return scores, raw


def choose(table: list[dict[str, Any]], how: Selection) -> dict[str, Any]:
    """The best row, or with `one-se` the first (simplest: grids list simple configurations first) whose mean is
    within one standard error of the best: noisy differences do not buy a slower, opaque model."""
    top = max(table, key=lambda row: row["mean"])
    if how.rule == "best":
        return top
    threshold = top["mean"] - top["std"] / np.sqrt(how.folds)
    return next(row for row in table if row["mean"] >= threshold)


def select_and_fit(
    ts: JudgedSet,
    qrels: Qrels,
    make: Make,
    grid: list[dict[str, Any]],
    how: Selection,
    progress: Progress | None = None,
) -> tuple[Estimator, dict[str, Any]]:
    """Cross-validate the grid, refit the chosen configuration on everything, return it with the CV table (one row
    per configuration: {"params", "metric", "mean", "std"} over the folds)."""
    table, out_of_fold = [], []
    for params in grid:
        scores, raw = fold_scores(ts, qrels, make, params, how)
        table.append({"params": params, "metric": how.metric, "mean": round(float(np.mean(scores)), 4)})
        table[-1]["std"] = round(float(np.std(scores)), 4)
        out_of_fold.append(raw)
        if progress:
            progress(1)
    best = choose(table, how)
    model = make(**best["params"]).fit(ts.X, ts.y, ts.groups)
    calibrate = getattr(model, "calibrate", None)
    if calibrate is not None:  # the 0–100 degree learns from scores of needs the fold models never saw
        calibrate(out_of_fold[table.index(best)], ts.y)
    return model, {"metric": how.metric, "folds": how.folds, "rule": how.rule, "best": best, "table": table}


def nested_folds(
    ts: JudgedSet,
    qrels: Qrels,
    make: Make,
    grid: list[dict[str, Any]],
    how: Selection,
    *,
    split: np.ndarray,
    outer: int = 5,
) -> Iterator[tuple[Estimator, dict[str, Any], set[str]]]:
    """For each outer fold of the need ids in `split` (GroupKFold over that array): the model chosen and fitted on
    the other needs' rows only, the chosen CV row, and the fold's held-out need ids."""
    for train, test in group_folds(split, outer):
        inner = ts.subset(ts.rows_of({str(q) for q in split[train]}))
        model, cv = select_and_fit(inner, {q: qrels[q] for q in inner.queries if q in qrels}, make, grid, how)
        yield model, cv["best"], {str(q) for q in split[test]}

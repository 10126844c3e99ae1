"""Training the ranker from judged pairs (TREC qrels) and from staff feedback, with cross-validation grouped by
need so that no need is both trained and tested on."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold
from sqlalchemy import select

from matcher.artifact import swap_in
from matcher.errors import InputError
from matcher.rank import Ranker
from matcher.store.tables import Feedback, Need, Outcome

log = logging.getLogger(__name__)
Qrels = dict[str, dict[str, int]]
# staff decisions → graded labels (feedback stage of #4: 推荐 → 已联系 → 已对接 → 合作意向 → 已签约 | 不合适)
STAGE_GAIN = {"rejected": 0, "proposed": None, "contacted": 1, "meeting": 2, "intention": 3, "signed": 3}
GRID: list[dict[str, Any]] = [
    *({"objective": "pairwise-linear", "C": c} for c in (0.01, 0.1, 1.0)),
    *({"objective": "pointwise-linear", "alpha": a} for a in (1.0, 100.0)),
    *(
        {"objective": "pointwise-gbdt", "max_depth": d, "learning_rate": lr, "max_iter": 150}
        for d, lr in product((2, 3), (0.03, 0.1))
    ),
]


def read_qrels(path: Path) -> Qrels:
    """TREC qrels `QUERY 0 TARGET GAIN` → {query: {target: gain}}."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    qrels: Qrels = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            raise InputError(f"{path}:{number}: expected `QUERY 0 TARGET GAIN`, got {line!r}")
        qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


@dataclass
class TrainingSet:
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
            "grades": grades,
            "skipped_needs": len(self.skipped),
        }


def judged_set(matcher: Any, qrels: Qrels, progress: Callable[[int], None] | None = None) -> TrainingSet:
    """Feature rows for every judged (need, outcome) pair whose need and outcome are in the workspace."""
    with matcher.sessions() as session:
        pk_of = {oid: pk for oid, pk in session.execute(select(Outcome.id, Outcome.pk))}
        known_needs = set(session.scalars(select(Need.id)))
    blocks: list[np.ndarray] = []
    labels: list[int] = []
    groups: list[int] = []
    queries: list[str] = []
    targets: list[str] = []
    skipped: list[str] = []
    for qid, judged in qrels.items():
        pairs = [(t, g) for t, g in judged.items() if t in pk_of]
        if qid not in known_needs or not pairs:
            skipped.append(qid)
            continue
        X, _ = matcher.features(matcher.need_query(qid), [pk_of[t] for t, _ in pairs])
        blocks.append(X)
        labels += [g for _, g in pairs]
        groups += [len(queries)] * len(pairs)
        targets += [t for t, _ in pairs]
        queries.append(qid)
        if progress:
            progress(1)
    if not blocks:
        raise InputError("no judged pair matches a need and an outcome of the workspace")
    return TrainingSet(np.vstack(blocks), np.asarray(labels, float), np.asarray(groups), queries, targets, skipped)


def feedback_qrels(matcher: Any) -> Qrels:
    """Staff feedback at outcome level as qrels (the latest decision on a pair wins)."""
    qrels: Qrels = {}
    with matcher.sessions() as session:
        rows = session.execute(
            select(Need.id, Feedback.target_id, Feedback.stage)
            .join(Need, Feedback.need_pk == Need.pk)
            .where(Feedback.level == "outcome")
            .order_by(Feedback.created_at)
        )
        for need_id, target, stage in rows:
            gain = STAGE_GAIN.get(stage)
            if gain is not None:
                qrels.setdefault(need_id, {})[target] = gain
    return qrels


def ndcg_at_10(qrels: Qrels, run: dict[str, dict[str, float]]) -> float:
    from ranx import Qrels as RQrels
    from ranx import Run, evaluate

    positive = {q: {t: g for t, g in d.items() if g > 0} for q, d in qrels.items() if q in run}
    positive = {q: d for q, d in positive.items() if d}
    if not positive:
        return 0.0
    return float(evaluate(RQrels(positive), Run({q: run[q] for q in positive}), "ndcg@10"))


def _run(ts: TrainingSet, rows: np.ndarray, scores: np.ndarray) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for r, s in zip(rows, scores, strict=True):
        run.setdefault(ts.queries[ts.groups[r]], {})[ts.targets[r]] = float(s)
    return run


def cross_validate(ts: TrainingSet, qrels: Qrels, params: dict[str, Any], folds: int = 5) -> list[float]:
    """nDCG@10 of a Ranker(**params) on each held-out fold of needs."""
    scores = []
    for train, test in GroupKFold(n_splits=min(folds, len(ts.queries))).split(ts.X, ts.y, ts.groups):
        model = Ranker(**params).fit(ts.X[train], ts.y[train], ts.groups[train])
        scores.append(ndcg_at_10(qrels, _run(ts, test, model.decision_function(ts.X[test]))))
    return scores


def out_of_fold_run(ts: TrainingSet, params: dict[str, Any], folds: int = 5) -> dict[str, dict[str, float]]:
    """Scores of every pair from a model that never saw its need (for honest evaluation reports)."""
    scores = np.zeros(len(ts.y))
    for train, test in GroupKFold(n_splits=min(folds, len(ts.queries))).split(ts.X, ts.y, ts.groups):
        scores[test] = Ranker(**params).fit(ts.X[train], ts.y[train], ts.groups[train]).decision_function(ts.X[test])
    return _run(ts, np.arange(len(ts.y)), scores)


def one_standard_error(table: list[dict[str, Any]], folds: int) -> dict[str, Any]:
    """The first (simplest: linear configurations come first in GRID) configuration whose mean CV score is
    within one standard error of the best one: noisy differences do not buy a slower, opaque model."""
    top = max(table, key=lambda row: row["ndcg@10"])
    threshold = top["ndcg@10"] - top["std"] / np.sqrt(folds)
    return next(row for row in table if row["ndcg@10"] >= threshold)


def select_and_fit(
    ts: TrainingSet,
    qrels: Qrels,
    *,
    grid: list[dict[str, Any]] | None = None,
    folds: int = 5,
    progress: Callable[[int], None] | None = None,
) -> tuple[Ranker, dict[str, Any]]:
    """Pick the configuration with the best mean CV nDCG@10, refit it on everything, report the CV table."""
    table: list[dict[str, Any]] = []
    for params in grid or GRID:
        fold_scores = cross_validate(ts, qrels, params, folds)
        table.append(
            {
                "params": params,
                "ndcg@10": round(float(np.mean(fold_scores)), 4),
                "std": round(float(np.std(fold_scores)), 4),
            }
        )
        if progress:
            progress(1)
    best = one_standard_error(table, folds)
    model = Ranker(**best["params"]).fit(ts.X, ts.y, ts.groups)
    return model, {"folds": folds, "best": best, "table": table}


def train_and_save(
    matcher: Any,
    qrels: Qrels,
    *,
    out: Path,
    name: str,
    sources: list[str],
    folds: int = 5,
    grid: list[dict[str, Any]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Build the training set, cross-validate the grid, refit the best, save model + params.json + card.md."""
    from matcher.card import render_card

    ts = judged_set(matcher, qrels, progress)
    model, cv = select_and_fit(ts, qrels, grid=grid, folds=folds, progress=progress)
    summary = {"name": name, "embedder": matcher.embedder.name, "training": ts.summary(), "cv": cv, "sources": sources}
    staging = out.with_name(out.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    params = model.save(staging, summary=summary, card=render_card(summary))
    swap_in(staging, out)
    return params

"""The expert-level ranker: gradient-boosted trees over `expert_features.EXPERT_FEATURES`, re-ranking the
roll-up's top experts for a need. Labels are binary (the expert is relevant or not); the configuration is
chosen by cross-validation grouped by need (`select`), nested inside the evaluation's own folds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from matcher.artifact import load_estimator, write_params
from matcher.expert_features import EXPERT_FEATURES, expert_candidates
from matcher.results import ExpertHit
from matcher.retrieve import Query
from matcher.rollup import Scored

log = logging.getLogger(__name__)
MODEL_FILE = "expert_ranker.skops"
GRID: list[dict[str, Any]] = [
    {"max_iter": 200, "learning_rate": 0.05, "max_depth": 3, "min_samples_leaf": 200},
    {"max_iter": 300, "learning_rate": 0.05, "max_depth": 4, "min_samples_leaf": 100},
    {"max_iter": 400, "learning_rate": 0.03, "max_depth": 4, "min_samples_leaf": 100, "l2_regularization": 1.0},
]


class ExpertRanker(BaseEstimator):
    def __init__(
        self,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_depth: int = 3,
        min_samples_leaf: int = 200,
        l2_regularization: float = 0.0,
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> ExpertRanker:
        X, y = np.asarray(X, float), np.asarray(y, int)
        self.n_features_in_ = X.shape[1]
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,  # a random validation split would make results depend on the seed
            random_state=self.random_state,
        ).fit(X, y)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Probability that the expert is the right one (also the 0–1 display score)."""
        return np.asarray(self.model_.predict_proba(np.asarray(X, float))[:, 1])

    def save(self, folder: Path, *, summary: dict[str, Any]) -> dict[str, Any]:
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        sio.dump(self, folder / MODEL_FILE)
        params = {"type": "expert-ranker", "params": self.get_params(), "features": list(EXPERT_FEATURES), **summary}
        return write_params(folder, params, files=[MODEL_FILE])

    @classmethod
    def load(cls, folder: Path) -> tuple[ExpertRanker, dict[str, Any]]:
        return load_estimator(folder, MODEL_FILE, list(EXPERT_FEATURES), cls)


def mrr(scores: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Mean reciprocal rank of the first relevant row per group (groups without one count 0)."""
    total = 0.0
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        hits = np.flatnonzero(y[idx][np.argsort(-scores[idx], kind="stable")])
        total += 1.0 / (hits[0] + 1) if len(hits) else 0.0
    return total / len(np.unique(groups))


def select(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = 4, grid: list[dict[str, Any]] | None = None
) -> tuple[ExpertRanker, dict[str, Any]]:
    """The grid configuration with the best grouped-CV MRR, refitted on everything."""
    table = []
    for config in grid or GRID:
        scores = np.zeros(len(y))
        for train, test in GroupKFold(n_splits=folds).split(X, y, groups):
            scores[test] = ExpertRanker(**config).fit(X[train], y[train]).decision_function(X[test])
        table.append({**config, "cv_mrr": round(mrr(scores, y, groups), 4)})
    best = max(table, key=lambda row: row["cv_mrr"])
    config = {k: v for k, v in best.items() if k != "cv_mrr"}
    return ExpertRanker(**config).fit(X, y), {"best": config, "table": table}


def rerank_hits(
    matcher: Any,
    query: Query,
    hits: list[ExpertHit],
    model: ExpertRanker,
    fused: list[Scored] | None = None,
    sizes: dict[int, int] | None = None,
) -> list[ExpertHit]:
    """Re-order the roll-up's expert hits by the expert ranker; each hit's score becomes its probability."""
    found = expert_candidates(matcher, query, limit=len(hits), only=[h.id for h in hits], fused=fused, sizes=sizes)
    scores = dict(zip(found.ids, model.decision_function(found.X).tolist(), strict=True)) if found.ids else {}
    ordered = sorted(hits, key=lambda h: (-scores.get(h.id, -1.0), h.rank))
    for rank, hit in enumerate(ordered, 1):
        hit.rank, hit.score = rank, round(scores.get(hit.id, 0.0), 4)
    return ordered


def load_expert_ranker(settings: Any, embedder: str) -> tuple[ExpertRanker, dict[str, Any]] | None:
    """The expert ranker the settings name (auto: the workspace's models/expert), if trained for `embedder`."""
    choice = settings.expert_model
    if choice == "none":
        return None
    folder = settings.workspace().models_dir / "expert" if choice == "auto" else Path(choice)
    if choice == "auto" and not (folder / "params.json").exists():
        return None
    model, params = ExpertRanker.load(folder)
    if params.get("embedder") != embedder:
        log.warning(
            "expert ranker at %s was trained with %s, not %s: not used", folder, params.get("embedder"), embedder
        )
        return None
    return model, params

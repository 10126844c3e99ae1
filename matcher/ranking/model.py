"""The learned ranker, one scikit-learn estimator for both levels: (need, outcome) pairs over
`outcome.features.FEATURES` and (need, expert) pairs over `expert.features.EXPERT_FEATURES`.

Objectives (chosen by grouped cross-validation, `cv.py`):
- `pairwise-linear`: logistic regression on feature differences of pairs with different grades (RankNet-style,
  linear), robust with few and noisy labels;
- `pointwise-gbdt`: gradient-boosted trees (HistGradientBoostingRegressor) on the graded label;
- `pointwise-linear`: ridge regression on the graded label;
- `binary-gbdt`: gradient-boosted trees (HistGradientBoostingClassifier) on relevant / not; the raw score is the
  probability of relevance (the expert ranker).

Raw scores are mapped to a 0–100 match degree: the probability of relevance by isotonic regression, fitted on
out-of-fold scores when the model was chosen by cross-validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from matcher.artifacts.folder import load_estimator, write_params
from matcher.search.degree import degree

OBJECTIVES = ("pairwise-linear", "pointwise-gbdt", "pointwise-linear", "binary-gbdt")


def relevant_at(y: np.ndarray) -> float:
    """The grade from which a pair counts as relevant: 1 on binary labels, 2 on BDCI-style 0–3 grades (相关 and
    above; 1 is "weakly related")."""
    return max(1.0, float(np.ceil(float(np.max(y)) / 2)))


MODEL_FILE = "ranker.skops"


def pair_differences(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, max_pairs: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Differences x_i - x_j for pairs of one group with y_i != y_j, labelled 1 if y_i > y_j (both directions)."""
    rng = np.random.default_rng(seed)
    diffs, labels = [], []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        i, j = np.meshgrid(idx, idx, indexing="ij")
        keep = y[i] > y[j]
        pi, pj = i[keep], j[keep]
        if len(pi) > max_pairs:
            pick = rng.choice(len(pi), max_pairs, replace=False)
            pi, pj = pi[pick], pj[pick]
        diffs += [X[pi] - X[pj], X[pj] - X[pi]]
        labels += [np.ones(len(pi)), np.zeros(len(pi))]
    if not diffs:
        return np.zeros((0, X.shape[1])), np.zeros(0)
    return np.vstack(diffs), np.concatenate(labels)


SPREAD = 0.1  # the share of a ranker's served probability that keeps rising with its raw score
WIDE = 8.0  # that share's logistic spans ± WIDE standard deviations of the training scores

class Ranker(BaseEstimator):
    def __init__(
        self,
        objective: str = "pairwise-linear",
        C: float = 0.1,
        alpha: float = 10.0,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_depth: int = 3,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        max_pairs_per_query: int = 400,
        random_state: int = 0,
    ) -> None:
        self.objective = objective
        self.C = C
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_pairs_per_query = max_pairs_per_query
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Ranker:
        """Learn from a feature matrix, graded labels and the need each row belongs to."""
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}")
        X, y, groups = np.asarray(X, float), np.asarray(y, float), np.asarray(groups)
        self.n_features_in_ = X.shape[1]
        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        self.model_: Any
        self.model_ = self._learner(Xs, y, groups)
        self.relevant_at_ = relevant_at(y)
        self.baseline_ = np.asarray(Xs.mean(axis=0))
        return self.calibrate(self.decision_function(X), y, out_of_fold=False)

    def calibrate(self, raw: np.ndarray, y: np.ndarray, *, out_of_fold: bool = True) -> Ranker:
        """Map raw scores to the probability that a pair is relevant (grade ≥ `relevant_at_`) by isotonic
        regression. `fit` does it on its own training scores (optimistic); cross-validated selection calls it again
        with out-of-fold scores, so the 0–100 degree is calibrated on needs the scores' models never saw."""
        labels = (np.asarray(y, float) >= self.relevant_at_).astype(float)
        self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, labels)
        self.raw_scale_ = (float(np.mean(raw)), float(np.std(raw)) or 1.0)
        self.calibration_ = {"kind": "out-of-fold" if out_of_fold else "in-sample", "pairs": len(labels)}
        return self

    def _learner(self, Xs: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
        if self.objective == "pairwise-linear":
            diffs, labels = pair_differences(Xs, y, groups, self.max_pairs_per_query, self.random_state)
            return LogisticRegression(C=self.C, fit_intercept=False, max_iter=1000).fit(diffs, labels)
        if self.objective == "pointwise-linear":
            return Ridge(alpha=self.alpha).fit(Xs, y)
        trees = {
            "max_iter": self.max_iter,
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "min_samples_leaf": self.min_samples_leaf,
            "l2_regularization": self.l2_regularization,
            "random_state": self.random_state,
        }
        if self.objective == "binary-gbdt":
            # no early stopping: a random validation split would make results depend on the seed
            return HistGradientBoostingClassifier(**trees, early_stopping=False).fit(Xs, (y > 0).astype(int))
        return HistGradientBoostingRegressor(**trees).fit(Xs, y)

    def _raw(self, Xs: np.ndarray) -> np.ndarray:
        if self.objective == "pairwise-linear":
            return np.asarray(Xs @ self.model_.coef_[0])
        if self.objective == "binary-gbdt":
            return np.asarray(self.model_.predict_proba(Xs)[:, 1])
        return np.asarray(self.model_.predict(Xs))

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The raw ranking score (for `binary-gbdt` the probability of relevance)."""
        return self._raw(self.scaler_.transform(np.asarray(X, float)))

    predict = decision_function

    def match_score(self, X: np.ndarray) -> np.ndarray:
        """The 匹配度: 100 × the calibrated probability that the pair is relevant (0–100)."""
        return self.degree_of(self.decision_function(X))

    def probability_of(self, raw: np.ndarray) -> np.ndarray:
        """The probability of relevance of raw scores, strictly increasing in them: the isotonic map (flat within
        its blocks, and at 1 past its highest training score) with SPREAD of a wide logistic of the standardised raw
        score, so the served score keeps the order the ranker ranks by, on corpora scored far above its training
        data too (a model saved before this had no `raw_scale_`: the raw score is used unscaled)."""
        raw = np.asarray(raw, float)
        mean, sd = getattr(self, "raw_scale_", (0.0, 1.0))
        rank = 1 / (1 + np.exp(-(raw - mean) / (WIDE * sd)))  # slow enough not to saturate on a foreign corpus
        return np.asarray((1 - SPREAD) * self.calibrator_.predict(raw) + SPREAD * rank)

    def degree_of(self, raw: np.ndarray) -> np.ndarray:
        """The 匹配度 of raw scores already computed by `decision_function`."""
        return np.asarray(degree(self.probability_of(raw)))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contribution to the raw score of each row: exact for linear objectives; for trees the
        change of the score when that feature is set to its training mean (an occlusion estimate)."""
        X = np.asarray(X, float)
        Xs = self.scaler_.transform(X)
        if self.objective == "pairwise-linear":
            return Xs * self.model_.coef_[0]
        if self.objective == "pointwise-linear":
            return Xs * self.model_.coef_
        base = self._raw(Xs)
        out = np.zeros_like(Xs)
        for f in range(Xs.shape[1]):
            occluded = Xs.copy()
            occluded[:, f] = self.baseline_[f]
            out[:, f] = base - self._raw(occluded)
        return out

    # -- persistence ----------------------------------------------------------------------------------
    def save(self, folder: Path, *, features: list[str], summary: dict[str, Any], card: str) -> dict[str, Any]:
        """A folder: the skops file, card.md, and params.json naming the feature list the model was trained on."""
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        sio.dump(self, folder / MODEL_FILE)
        (folder / "card.md").write_text(card, encoding="utf-8")
        params = {
            "type": "ranker",
            "objective": self.objective,
            "params": self.get_params(),
            "features": list(features),
            **summary,
        }
        return write_params(folder, params, files=[MODEL_FILE, "card.md"])

    @classmethod
    def load(cls, folder: Path, *, features: list[str]) -> tuple[Ranker, dict[str, Any]]:
        """The model saved in `folder`; it must have been trained on `features` (ModelMismatchError otherwise)."""
        return load_estimator(folder, MODEL_FILE, list(features), cls)

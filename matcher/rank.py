"""The learned ranker: a scikit-learn estimator over `features.FEATURES`.

Objectives (chosen by grouped cross-validation in `train.py`):
- `pairwise-linear`: logistic regression on feature differences of pairs with different grades (RankNet-style,
  linear), robust with few and noisy labels;
- `pointwise-gbdt`: gradient-boosted trees (HistGradientBoostingRegressor) on the graded label;
- `pointwise-linear`: ridge regression on the graded label.

Raw scores are mapped to a 0–100 match score by isotonic regression onto gain / max gain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from matcher.artifact import load_estimator, write_params
from matcher.errors import IndexMissingError
from matcher.features import DESCRIPTIONS, FEATURES

OBJECTIVES = ("pairwise-linear", "pointwise-gbdt", "pointwise-linear")
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
        if self.objective == "pairwise-linear":
            diffs, labels = pair_differences(Xs, y, groups, self.max_pairs_per_query, self.random_state)
            self.model_ = LogisticRegression(C=self.C, fit_intercept=False, max_iter=1000).fit(diffs, labels)
        elif self.objective == "pointwise-linear":
            self.model_ = Ridge(alpha=self.alpha).fit(Xs, y)
        else:
            self.model_ = HistGradientBoostingRegressor(
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_depth=self.max_depth,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                random_state=self.random_state,
            ).fit(Xs, y)
        raw = self.decision_function(X)
        self.max_gain_ = float(max(y.max(), 1.0))
        self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y / self.max_gain_)
        self.baseline_ = np.asarray(Xs.mean(axis=0))
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        Xs = self.scaler_.transform(np.asarray(X, float))
        if self.objective == "pairwise-linear":
            return np.asarray(Xs @ self.model_.coef_[0])
        return np.asarray(self.model_.predict(Xs))

    predict = decision_function

    def match_score(self, X: np.ndarray) -> np.ndarray:
        """Calibrated 0–100 display score (isotonic map of the raw score onto gain / max gain)."""
        return np.round(100.0 * self.calibrator_.predict(self.decision_function(X)), 1)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contribution to the raw score of each row: exact for linear objectives; for trees the
        change of the score when that feature is set to its training mean (an occlusion estimate)."""
        X = np.asarray(X, float)
        Xs = self.scaler_.transform(X)
        if self.objective == "pairwise-linear":
            return Xs * self.model_.coef_[0]
        if self.objective == "pointwise-linear":
            return Xs * self.model_.coef_
        base = self.model_.predict(Xs)
        out = np.zeros_like(Xs)
        for f in range(Xs.shape[1]):
            occluded = Xs.copy()
            occluded[:, f] = self.baseline_[f]
            out[:, f] = base - self.model_.predict(occluded)
        return out

    # -- persistence ----------------------------------------------------------------------------------
    def save(self, folder: Path, *, summary: dict[str, Any], card: str) -> dict[str, Any]:
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        sio.dump(self, folder / MODEL_FILE)
        (folder / "card.md").write_text(card, encoding="utf-8")
        params = {
            "type": "ranker",
            "objective": self.objective,
            "params": self.get_params(),
            "features": list(FEATURES),
            **summary,
        }
        return write_params(folder, params, files=[MODEL_FILE, "card.md"])

    @classmethod
    def load(cls, folder: Path) -> tuple[Ranker, dict[str, Any]]:
        return load_estimator(folder, MODEL_FILE, list(FEATURES), cls)


def load_active(folder: Path | None, embedder: str) -> tuple[tuple[Ranker, dict[str, Any]] | None, str | None]:
    """(ranker and its params, None) for the model at `folder`, or (None, a notice saying why there is none)."""
    if folder is None:
        return None, "ranker disabled (MATCHER_MODEL=none): results are ranked by fused retrieval"
    try:
        model, params = Ranker.load(folder)
    except IndexMissingError:
        return None, "no trained ranker: results are ranked by fused retrieval (run `matcher train`)"
    if params.get("embedder") != embedder:
        return None, (
            f"the ranker at {folder} was trained with {params.get('embedder')!r}, not "
            f"{embedder!r}: results are ranked by fused retrieval"
        )
    return (model, params), None


def explain(model: Ranker, row: np.ndarray, top: int = 3) -> list[dict[str, Any]]:
    """The features that moved this candidate's score most, with their Chinese descriptions."""
    return explain_rows(model, row.reshape(1, -1), top)[0]


def explain_rows(model: Ranker, X: np.ndarray, top: int = 3) -> list[list[dict[str, Any]]]:
    """`explain` for many rows at once (one model pass per feature, not per row and feature)."""
    return [_reasons(contrib, top) for contrib in model.contributions(X)]


def _reasons(contrib: np.ndarray, top: int) -> list[dict[str, Any]]:
    order = np.argsort(-np.abs(contrib))[:top]
    return [
        {
            "feature": FEATURES[i],
            "effect": round(float(contrib[i]), 3),
            "why": REASONS_ZH.get(FEATURES[i], DESCRIPTIONS[FEATURES[i]]),
        }
        for i in order
        if abs(contrib[i]) > 1e-6
    ]


REASONS_ZH = {
    "dense_cos": "需求与成果语义相近",
    "dense_cos_title": "需求标题与成果语义相近",
    "dense_z": "语义相似度在候选中突出",
    "dense_title_z": "标题语义相似度在候选中突出",
    "bm25": "关键词检索得分高",
    "bm25_norm": "关键词得分接近最佳",
    "bm25_z": "关键词得分在候选中突出",
    "bm25_rr": "关键词检索排名靠前",
    "dense_rr": "语义检索排名靠前",
    "rrf": "两路检索综合排名靠前",
    "kw_idf_cover": "覆盖需求的核心关键词",
    "kw_hits": "命中多个需求关键词",
    "title_cover": "覆盖需求标题中的词",
    "title_jaccard": "与需求标题用词重合",
    "field_match": "领域一致",
    "region_match": "同一地区（本地转化）",
    "age": "成果年份",
    "outcome_len": "成果描述详尽程度",
    "need_len": "需求描述长度",
    "n_experts": "成果团队规模",
    "expert_support": "专家有多项相关成果",
    "track_record": "专家有成功对接记录",
    "kind_patent": "成果为专利",
    "kind_paper": "成果为论文",
    "kind_project": "成果为项目",
    "kind_achievement": "成果为鉴定成果",
}


def summary_json(params: dict[str, Any]) -> str:
    return json.dumps({k: params[k] for k in ("objective", "training", "cv") if k in params}, ensure_ascii=False)


def scorer_label(ranker: tuple[Any, dict[str, Any]] | None, experts: tuple[Any, dict[str, Any]] | None) -> str:
    """What ranked a result: `fused`, `ranker:NAME`, and `+experts:NAME` when the expert ranker re-ordered it."""
    name = f"ranker:{ranker[1].get('name', 'model')}" if ranker else "fused"
    return f"{name}+experts:{experts[1].get('name', 'model')}" if experts else name

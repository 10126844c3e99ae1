from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.errors import ModelMismatchError
from matcher.ranking.model import OBJECTIVES, Ranker, pair_differences
from matcher.ranking.outcome.features import FEATURES, prf_cosines
from matcher.ranking.outcome.reasons import explain


def toy(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grades driven by the first two features, 12 needs × 8 candidates."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(96, len(FEATURES)))
    y = np.clip(np.round(1.5 + X[:, 0] + 0.5 * X[:, 1]), 0, 3)
    return X, y, np.repeat(np.arange(12), 8)


def test_pair_differences_hand_computed() -> None:
    X = np.array([[1.0], [3.0], [2.0]])
    diffs, labels = pair_differences(X, np.array([0, 2, 1]), np.array([0, 0, 0]), max_pairs=10, seed=0)
    pairs = sorted(zip(diffs[:, 0].tolist(), labels.tolist(), strict=True))
    # better - worse: (3-1), (3-2), (2-1) labelled 1, and the reverses labelled 0
    assert pairs == [(-2.0, 0.0), (-1.0, 0.0), (-1.0, 0.0), (1.0, 1.0), (1.0, 1.0), (2.0, 1.0)]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_every_objective_learns_the_signal(objective: str) -> None:
    X, y, groups = toy()
    model = Ranker(objective=objective, max_iter=50).fit(X, y, groups)
    assert model is not None and model.n_features_in_ == len(FEATURES)
    scores = model.decision_function(X)
    assert np.corrcoef(scores, y)[0, 1] > 0.6
    shown = model.match_score(X)
    assert shown.min() >= 0 and shown.max() <= 100


def test_explanations_name_the_driving_feature() -> None:
    X, y, groups = toy()
    model = Ranker().fit(X, y, groups)
    row = X.mean(axis=0)
    row[0] += 3 * X[:, 0].std()  # an average candidate, except for a much higher dense_cos
    reasons = explain(model, row, top=2)
    assert reasons[0]["feature"] == "dense_cos" and reasons[0]["effect"] > 0 and reasons[0]["why"]


def test_save_load_round_trip_gives_identical_scores(tmp_path: Path) -> None:
    X, y, groups = toy()
    for objective in ("pairwise-linear", "pointwise-gbdt"):
        model = Ranker(objective=objective, max_iter=30).fit(X, y, groups)
        model.save(tmp_path / objective, features=list(FEATURES), summary={"embedder": "fake"}, card="# card\n")
        again, params = Ranker.load(tmp_path / objective, features=list(FEATURES))
        assert np.array_equal(again.decision_function(X), model.decision_function(X))
        assert np.array_equal(again.match_score(X), model.match_score(X))
        assert params["features"] == list(FEATURES) and (tmp_path / objective / "card.md").exists()


def test_tampered_model_file_is_refused(tmp_path: Path) -> None:
    X, y, groups = toy()
    Ranker().fit(X, y, groups).save(tmp_path / "m", features=list(FEATURES), summary={}, card="")
    (tmp_path / "m" / "ranker.skops").write_bytes(b"not a model")
    with pytest.raises(ModelMismatchError, match="corrupted"):
        Ranker.load(tmp_path / "m", features=list(FEATURES))


def test_prf_cosines_hand_computed() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    order_by = np.array([3.0, 2.0, 1.0])
    # the two best (a, b) average to (0.5, 0.5), unit (1/√2, 1/√2): c scores (0.6 + 0.8)/√2
    got = prf_cosines(vectors, order_by, k=2)
    assert got == pytest.approx([2**-0.5, 2**-0.5, 1.4 * 2**-0.5])
    assert prf_cosines(vectors, order_by, k=1) == pytest.approx([1.0, 0.0, 0.6])
    assert prf_cosines(None, order_by).tolist() == [0.0, 0.0, 0.0]

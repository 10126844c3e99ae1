"""The numbers staff read: the 0–100 degree, the 无强匹配 signal, and what counts as relevant for calibration."""

from __future__ import annotations

import numpy as np

from matcher.ranking.model import Ranker, relevant_at
from matcher.search.results import Components, ExpertHit, OutcomeHit, weak_match, with_degrees


def _outcome(score: float, model: float | None) -> OutcomeHit:
    return OutcomeHit(1, "O1", "patent", "t", score, 2024, None, [], [], Components(0.1, model=model))


def _expert(score: float, evidence: list[OutcomeHit]) -> ExpertHit:
    return ExpertHit(1, "E1", "周建国", None, None, None, score, len(evidence), [], evidence)


def test_degrees_are_bounded_and_scaled_by_the_full_vote() -> None:
    hits = with_degrees([_expert(1.2, [_outcome(0.8, 80.0)]), _expert(2.5, [_outcome(1.3, None)])], full=1.9375)
    assert [h.degree for h in hits] == [round(100 * 1.2 / 1.9375, 1), 100.0]  # a vote above `full` is capped
    assert [h.evidence[0].degree for h in hits] == [80.0, 100.0]


def test_weak_match_needs_a_ranker_score_below_the_limit() -> None:
    weak = [_expert(0.3, [_outcome(0.12, 12.0), _outcome(0.25, 25.0)])]
    notice = weak_match(weak, 30.0)
    assert notice is not None and notice.startswith("无强匹配") and "25" in notice
    assert weak_match(weak, 20.0) is None
    assert weak_match([_expert(0.3, [_outcome(0.1, None)])], 30.0) is None  # fused scores are no probabilities


def test_relevance_threshold_and_calibration_stay_within_0_100() -> None:
    assert relevant_at(np.array([0, 1, 2, 3])) == 2.0 and relevant_at(np.array([0, 1])) == 1.0
    rng = np.random.default_rng(0)
    X, groups = rng.normal(size=(200, 3)), np.repeat(np.arange(20), 10)
    y = np.clip(np.round(X[:, 0] + 1.5), 0, 3)
    model = Ranker().fit(X, y, groups)
    assert model.calibration_["kind"] == "in-sample"
    raw = model.decision_function(X)
    model.calibrate(raw, y)
    scores = model.match_score(X * 10)  # far outside the training range
    assert model.calibration_["kind"] == "out-of-fold" and scores.min() >= 0 and scores.max() <= 100
    top, bottom = np.argmax(raw), np.argmin(raw)
    assert model.match_score(X[[top]])[0] > model.match_score(X[[bottom]])[0]

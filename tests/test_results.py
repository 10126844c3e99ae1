"""The numbers staff read: the 匹配度 (one scale, its bands and words), the 无强匹配 signal, calibration maps fitted
out of fold, and what counts as relevant for calibration."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.ranking.calibration import Calibration, fit_level, reliability
from matcher.ranking.model import Ranker, relevant_at
from matcher.search.degree import Bands, degree, probability, weak_notice, with_degrees
from matcher.search.results import Components, ExpertHit, OutcomeHit


def _outcome(score: float) -> OutcomeHit:
    return OutcomeHit(1, "O1", "patent", "t", score, 2024, None, [], [], Components(0.1))


def _expert(score: float, evidence: list[OutcomeHit]) -> ExpertHit:
    return ExpertHit(rank=1, id="E1", name="周建国", title=None, institution=None, region=None, score=score,
                     n_outcomes=len(evidence), matched_terms=[], evidence=evidence)  # fmt: skip


def test_the_scale_its_bands_and_words_by_hand() -> None:
    assert degree(0.4567) == 45.7 and degree(1.7) == 100.0 and degree(-0.2) == 0.0 and probability(45.7) == 0.457
    bands = Bands(weak=30, strong=60)
    assert [bands.band(v) for v in (29.9, 30, 59.9, 60)] == ["weak", "fair", "fair", "strong"]
    assert [bands.word(v) for v in (10, 45, 80)] == ["弱匹配", "可参考", "强匹配"]
    assert not bands.proposable(29.9) and bands.proposable(30)


def test_degrees_come_from_each_levels_calibration() -> None:
    def calibrate(level: str, scores: np.ndarray) -> np.ndarray:  # a vote of 2 is certain; outcomes as they are
        return np.clip(scores / 2, 0, 1) if level == "expert:vote" else scores

    hits = with_degrees([_expert(1.2, [_outcome(0.8)]), _expert(2.5, [_outcome(0.25)])], "expert:vote", calibrate,
                        Bands(30, 60), "outcome:ranker")  # fmt: skip
    assert [(h.degree, h.band) for h in hits] == [(60.0, "strong"), (100.0, "strong")]
    assert [(h.evidence[0].degree, h.evidence[0].band) for h in hits] == [(80.0, "strong"), (25.0, "weak")]


def test_no_strong_match_when_every_hit_is_below_the_weak_line() -> None:
    hits = [_expert(0.3, []), _expert(0.2, [])]
    hits[0].degree, hits[1].degree = 25.0, 12.0
    notice = weak_notice(hits, Bands(30, 60))
    assert notice is not None and notice.startswith("无强匹配") and "25" in notice
    assert weak_notice(hits, Bands(20, 60)) is None and weak_notice([], Bands(30, 60)) is not None


def test_a_level_map_is_judged_out_of_fold_and_refitted_on_all() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 2000)
    labels = (rng.uniform(0, 1, 2000) < scores**2).astype(float)  # the true probability is score²
    level = fit_level(scores, labels, np.repeat(np.arange(100), 20), "synthetic")
    assert level.figures["ece"] < 0.05 and level.figures["auc"] > 0.7 and level.figures["folds"] == 5
    maps = Calibration({"expert:vote": level})
    assert maps.probabilities("expert:vote", np.array([0.5]))[0] == pytest.approx(0.25, abs=0.08)
    assert maps.probabilities("needs:vote", np.array([1.4])) is None  # no map: no 匹配度, never the score clipped
    by_hand = reliability(np.array([0.1, 0.1, 0.9, 0.9]), np.array([0, 0, 1, 0]))
    assert by_hand["ece"] == pytest.approx(0.5 * 0.1 + 0.5 * 0.4) and by_hand["auc"] == pytest.approx(0.8333, abs=1e-4)


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


def test_the_calibration_folder_carries_a_card_with_its_figures(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from matcher.ranking.calibration import LevelMap

    level = LevelMap([0.0, 1.0], [0.1, 0.9], "qrels.tsv", {"ece": 0.0123, "auc": 0.91, "pairs": 40, "relevant": 7,
                                                            "queries": 4})  # fmt: skip
    Calibration({"expert:vote": level}).save(tmp_path, embedder="e5", name="demo")
    card = (tmp_path / "card.md").read_text(encoding="utf-8")
    row = "| `expert:vote` | qrels.tsv | 4 | 40 | 7 | isotonic | 0.0123 | — | 0.91 | 90.0 |"
    assert row in card and "`demo`" in card
    loaded, _ = Calibration.load(tmp_path)  # the card sits beside the checksummed files without disturbing them
    assert loaded.probabilities("expert:vote", np.array([0.5]))[0] == pytest.approx(0.5)

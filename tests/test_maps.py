"""The 匹配度 maps' shape, by hand: isotonic blocks shrunk toward the base rate by their count, a ceiling from the
top block, strictly increasing knots and tails — so a top bin of a few dozen pairs never reads 100, and a list is
flat only where its scores are; a key without a map shows no 匹配度 at all."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.errors import InputError
from matcher.ranking import maps
from matcher.ranking.calibration import Calibration, LevelMap, fit_level, served_keys
from matcher.ranking.model import Ranker
from matcher.search.degree import UNCALIBRATED, Bands, uncalibrated_notice, weak_notice, with_degrees
from matcher.search.results import Components, OutcomeHit


def test_blocks_are_shrunk_by_their_count_and_made_strictly_increasing() -> None:
    # PAV over (0,0) (1,1) (2,0) (3,1): blocks [0] [1,2 → 0.5] [3]; base 0.5, prior 2 pairs
    knots = maps.isotonic_knots(np.array([0.0, 1, 2, 3]), np.array([0.0, 1, 0, 1]), prior=2)
    assert knots.x == [0.0, 1.5, 3.0]
    rates = [1 / 3, 2 / 4, 2 / 3]  # (k + 2 · 0.5) / (n + 2)
    by_hand = [0.98 * r + 0.02 * (2 / 3) * i / 2 for i, r in enumerate(rates)]  # strict: 2 % rises with the index
    assert knots.y == pytest.approx(by_hand) and knots.y[-1] == pytest.approx(2 / 3)


def test_a_shrink_that_breaks_the_order_is_pooled_again() -> None:
    found = maps.Blocks(np.array([0.0, 1, 2]), np.array([0.1, 0.2, 0.9]), np.array([2.0, 1000, 1000]))
    pooled = maps.shrunk(found, base=0.55, prior=20)
    low = ((0.2 + 11) / 22 * 22 + (200 + 11) / 1020 * 1020) / 1042  # weights n + prior
    assert pooled.rate.tolist() == pytest.approx([low, (900 + 11) / 1020])
    assert pooled.x.tolist() == pytest.approx([1000 / 1002, 2.0]) and pooled.n.tolist() == [1002, 1000]


def test_tails_keep_rising_but_stay_bounded() -> None:
    knots = maps.Knots([0.0, 1.0], [0.2, 0.6], scale=1.0)
    got = maps.apply(knots, np.array([-1.0, 0.5, 2.0]))
    rise = 1 - np.exp(-1)
    assert got.tolist() == pytest.approx([0.2 * (1 - 0.02 * rise), 0.4, 0.6 + 0.02 * 0.4 * rise])


def test_a_top_bin_of_forty_pairs_never_reads_100() -> None:
    # 960 pairs at 0.2 (48 relevant), 40 at 0.9 (all relevant): base 88 / 1000
    scores = np.r_[np.full(960, 0.2), np.full(40, 0.9)]
    labels = np.r_[np.arange(960) % 20 == 0, np.ones(40)].astype(float)
    top = (40 + 20 * 0.088) / 60
    assert maps.ceiling_of(scores, labels) == pytest.approx(top)
    level = fit_level(scores, labels, np.arange(1000) % 50, "by hand")
    assert level(np.array([0.9]))[0] <= top + 1e-9 and level.figures["top"] == pytest.approx(top, abs=1e-4)
    assert level.figures["families"].keys() == {"isotonic", "platt"} and level.family in ("isotonic", "platt")
    assert 100 * level(np.array([5.0]))[0] < 100 * top + 0.02 * 100 * (1 - top) + 1e-6  # far above: still bounded


def test_no_list_is_flat_unless_its_scores_are() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 1, 3000)
    labels = (rng.uniform(0, 1, 3000) < np.where(scores > 0.5, 0.3, 0.05)).astype(float)  # a step: flat blocks
    level = fit_level(scores, labels, np.arange(3000) % 60, "step")
    top10 = np.linspace(0.95, 0.6, 10)  # ten distinct scores inside one isotonic block
    probs = level(top10)
    assert np.all(np.diff(probs) < 0)
    assert level(np.array([0.7, 0.7])).tolist()[0] == level(np.array([0.7]))[0]  # equal scores, equal values
    X, groups = rng.normal(size=(200, 3)), np.repeat(np.arange(20), 10)
    model = Ranker().fit(X, (X[:, 0] > 1).astype(float), groups)
    raw = np.sort(model.decision_function(X))
    assert len(set(model.calibrator_.predict(raw).tolist())) < len(raw)  # the ranker's own isotonic has ties
    assert np.all(np.diff(model.probability_of(raw)) > 0)  # what it serves has none


def test_a_key_without_a_map_shows_no_number() -> None:
    hit = OutcomeHit(1, "O1", "patent", "t", 0.9, 2024, None, [], [], Components(0.1))
    with_degrees([hit], "outcome:ranker", Calibration().probabilities, Bands(30, 60))
    assert (hit.degree, hit.band) == (None, None)
    assert uncalibrated_notice([hit]) == UNCALIBRATED and weak_notice([hit], Bands(30, 60)) is None
    assert not Bands(30, 60).proposable(hit.degree)


def test_the_card_check_refuses_maps_missing_a_served_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    keys = served_keys(ranker=True, expert_ranker=False)
    assert keys == ["outcome:ranker", "expert:vote", "institution:vote", "needs:vote", "enterprises:vote"]
    some = Calibration({k: LevelMap([0.0, 1.0], [0.1, 0.9], "x") for k in keys[:-1]})
    with pytest.raises(InputError, match="enterprises:vote"):
        some.save(tmp_path / "maps", embedder="e5", name="n", served=keys)
    assert not (tmp_path / "maps").exists()
    with pytest.raises(InputError):
        LevelMap([], [], "no knots")


def test_platt_bends_under_the_ceiling_and_keeps_rising_past_the_judged_scores() -> None:
    assert maps.soft_cap(np.array([0.1, 0.33, 1.0]), 0.33).tolist() == pytest.approx(
        [0.33 * np.tanh(0.1 / 0.33), 0.33 * np.tanh(1.0), 0.33 * np.tanh(1.0 / 0.33)]
    )
    rng = np.random.default_rng(2)
    scores = rng.uniform(0, 1, 2000)
    labels = (rng.uniform(0, 1, 2000) < 0.05 + 0.5 * scores).astype(float)
    knots = maps.platt_knots(scores, labels, ceiling=0.3)
    assert knots is not None and knots.x[-1] == pytest.approx(scores.max() + np.ptp(scores))
    far = maps.apply(knots, np.array([1.1, 1.3, 1.5, 3.0]))  # scored above anything judged: still apart
    assert np.all(np.diff(np.round(100 * far[:3], 1)) > 0) and np.all(np.diff(far) > 0)
    assert far.max() < 0.3 + 0.02 * 0.7  # past the last knot: at most STRICT of the room left

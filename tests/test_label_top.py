"""Judging from the top: the MaxMean bandit's arm after given rewards, a need's best unjudged candidate in the
chosen arm's list, a need stopping at its first relevant grade or after k, and the simulated labeller's picks on a
two-need set, all by hand."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.learning_top import Columns, TopLabeller, need_lists
from matcher.label.bandit import MaxMean, credited
from matcher.label.select import Candidate
from matcher.label.top import NeedLists, choose_top, is_open, lists_of, places
from matcher.ranking.cv import JudgedSet
from matcher.ranking.model import Ranker


def test_maxmean_pulls_the_arm_of_the_highest_posterior_mean() -> None:
    bandit = MaxMean(("fused", "bm25", "dense"))
    assert bandit.choose() == "fused"  # all 1/2: the first arm
    bandit.reward("fused", False)  # fused (0 + 1) / (1 + 2) = 1/3
    assert bandit.choose() == "bm25"  # bm25 and dense 1/2: the earlier
    bandit.reward("bm25", True)  # bm25 (1 + 1) / (1 + 2) = 2/3
    assert bandit.value("bm25") == pytest.approx(2 / 3) and bandit.choose() == "bm25"
    bandit.reward("bm25", False)
    bandit.reward("bm25", False)  # bm25 (1 + 1) / (3 + 2) = 0.4 < dense's 1/2
    assert bandit.value("bm25") == pytest.approx(0.4) and bandit.choose() == "dense"
    assert bandit.choose(["fused", "bm25"]) == "bm25"  # 0.4 > 1/3
    assert bandit.choose([]) is None


def test_a_pair_nobody_attributed_goes_to_the_arms_that_put_it_highest() -> None:
    assert credited({"fused": 0.0, "bm25": 0.5, "dense": 0.0}) == ["fused", "dense"]
    assert credited({}) == []
    need = NeedLists("A", {"fused": ["a1", "a2"], "bm25": ["a2", "a1", "a3"]})
    assert places(need, "a2") == {"fused": 0.5, "bm25": 0.0}
    assert places(need, "a3") == {"bm25": pytest.approx(2 / 3)}


def _need(judged: int = 0, found: bool = False, name: str = "A") -> NeedLists:
    low = name.lower()
    return NeedLists(name, {"fused": [f"{low}1", f"{low}2", f"{low}3"], "bm25": [f"{low}3", f"{low}1", f"{low}2"]},
                     judged, found)  # fmt: skip


def test_a_need_gives_its_best_unjudged_pair_from_the_arm_the_bandit_values_most() -> None:
    picks = choose_top([_need()], 2, bandit=MaxMean(("fused", "bm25")))
    assert [(p.target, p.arm) for p in picks] == [("a1", "fused"), ("a2", "fused")]  # values do not move within
    assert [p.target for p in choose_top([_need()], 1, bandit=MaxMean(("fused", "bm25")), done={("A", "a1")})] == ["a2"]
    bandit = MaxMean(("fused", "bm25"))
    bandit.reward("fused", False)  # fused 1/3 < bm25 1/2: bm25's list
    assert [(p.target, p.arm) for p in choose_top([_need()], 1, bandit=bandit)] == [("a3", "bm25")]
    bandit.reward("bm25", False)
    bandit.reward("bm25", False)  # bm25 1/4 < fused 1/3, but once bm25 has nothing left fused is the only arm
    picks = choose_top([_need()], 2, bandit=bandit, done={("A", "a1"), ("A", "a2")})
    assert [(p.target, p.arm) for p in picks] == [("a3", "fused")]


def test_a_need_stops_at_its_first_relevant_grade_or_after_k() -> None:
    assert is_open(_need(judged=2), k=3) and not is_open(_need(judged=3), k=3)
    assert not is_open(_need(judged=1, found=True), k=3) and not is_open(_need(judged=2), k=3, pending=1)
    picks = choose_top([_need(judged=2), _need(name="B")], 3, bandit=MaxMean(("fused", "bm25")), k=3)
    assert [p.key for p in picks] == [("A", "a1"), ("B", "b1"), ("B", "b2")]  # A had one left before k = 3
    picks = choose_top([_need(judged=1, found=True), _need(name="B")], 1, bandit=MaxMean(("fused",)), k=3)
    assert [p.key for p in picks] == [("B", "b1")]  # A found its relevant pair: stopped


def test_the_arms_lists_and_the_near_the_line_list_only_with_a_ranker() -> None:
    # fused order a, b, c; ranks are (bm25, dense, served) percentiles
    cands = [Candidate("N", "a", 0.9, (1.0, 0.0, 0.5)), Candidate("N", "b", 0.3, (0.0, 1.0, 0.0)),
             Candidate("N", "c", 0.2, (0.5, 0.5, 1.0))]  # fmt: skip
    cold = lists_of(cands, ranked=False, line=0.3)
    assert cold == {"fused": ["a", "b", "c"], "bm25": ["b", "c", "a"], "dense": ["a", "c", "b"]}
    warm = lists_of(cands, ranked=True, line=0.3)
    # priorities: a 0.143 + 0.5 · 1.0 = 0.643, b 1.0 + 0.5 · 1.0 = 1.5, c 0.667 + 0.5 · 0.5 = 0.917
    assert warm["ranker"] == ["b", "a", "c"] and warm["unsure"] == ["b", "c", "a"]


def _two_needs() -> JudgedSet:
    # columns: fused, bm25, dense. Need 0 (rows 0-3): fused orders 0 1 2 3, bm25 3 2 1 0, dense ties (0 1 2 3);
    # row 1 is its right expert. Need 1 (rows 4-7): every list 4 5 6 7, nothing relevant.
    X = np.array([[4, 1, 0], [3, 2, 0], [2, 3, 0], [1, 4, 0], [4, 4, 0], [3, 3, 0], [2, 2, 0], [1, 1, 0]], float)
    y = np.array([0, 1, 0, 0, 0, 0, 0, 0], float)
    return JudgedSet(X, y, np.repeat([0, 1], 4), ["N0", "N1"], [f"X{r}" for r in range(8)])


def test_the_simulated_labeller_judges_need_by_need_from_the_top() -> None:
    ts = _two_needs()
    labeller = TopLabeller(ts, np.arange(8), Columns(0, 1, 2), line=0.3, seed=0, k=3)
    # N0 first: fused 0 (miss, fused 1/3), bm25 3 (miss, 1/3), dense 0 taken so 1 (hit, dense 2/3): N0 stops.
    # N1: dense (2/3) 4 (miss, 2/4), dense (1/2 > 1/3) 5 (miss, 2/5), dense (0.4) 6 (miss): k = 3, N1 stops.
    # N1 first: fused 4, bm25 5 (4 taken), dense 6, all misses (each 1/3); N0: fused 0 (1/4), bm25 3 (1/4), dense 1.
    expected = [0, 3, 1, 4, 5, 6] if labeller.order[0] == 0 else [4, 5, 6, 0, 3, 1]
    assert labeller.judge_until(2, None) == expected[:2]
    assert labeller.judge_until(10, None) == expected  # every need stopped: 6 judgements, not 10
    assert labeller.bandit.found == {"fused": 0, "bm25": 0, "dense": 1}


def test_with_a_ranker_the_simulation_adds_its_list_and_the_near_the_line_one_inside_the_fused_top_30() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), (np.arange(40) % 7 == 0).astype(float)
    X[:, 1] += 3 * y
    model = Ranker(objective="pairwise-linear", C=0.1).fit(X, y, np.zeros(40, int))
    rows, ts = np.arange(40), JudgedSet(X, y, np.zeros(40, int), ["N"], [str(r) for r in range(40)])
    cold = need_lists(ts, rows, Columns(0, 1, 2), None, 0.3)
    assert set(cold) == {"fused", "bm25", "dense"} and cold["fused"][0] == str(int(np.argmax(X[:, 0])))
    warm = need_lists(ts, rows, Columns(0, 1, 2), model, 0.3)
    assert set(warm) == {"fused", "bm25", "dense", "ranker", "unsure"}
    assert len(warm["unsure"]) == 30 and set(warm["unsure"]) == set(warm["fused"][:30])
    assert warm["ranker"][0] == str(int(np.argmax(model.decision_function(X))))


def test_a_ranker_is_fitted_on_the_judged_pairs_and_the_unjudged_candidates_of_needs_with_a_hit() -> None:
    ts = _two_needs()
    labeller = TopLabeller(ts, np.arange(8), Columns(0, 1, 2), line=0.3, seed=0, k=3)
    labeller.judge_until(10, None)  # N0: 0, 3, 1 (1 is the hit); N1: 4, 5, 6, no hit
    seen: list[tuple[list[int], list[float]]] = []

    def fit(_: JudgedSet, rows: np.ndarray, y: np.ndarray) -> None:
        seen.append((rows.tolist(), y.tolist()))

    labeller.fit_rows(fit)
    judged = labeller.labelled
    # N0's one unjudged candidate (row 2) is presumed not relevant; N1 found nothing, so nothing is presumed there
    assert seen == [([*judged, 2], [float(ts.y[r]) for r in judged] + [0.0])]

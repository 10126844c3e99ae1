"""Metric wiring pinned on tiny hand-computed cases."""

from __future__ import annotations

import math

import pytest

from evaluation.metrics import bootstrap_ci, paired_p, per_query, relevant_only, summarize

QRELS = {"q1": {"a": 3, "b": 1, "z": 0}, "q2": {"c": 1}, "q3": {"x": 0}}
RUN = {"q1": {"b": 0.9, "a": 0.8, "c": 0.1}, "q2": {"d": 0.5, "c": 0.4}}


def test_relevant_only_drops_zero_gains_and_empty_queries() -> None:
    assert relevant_only(QRELS) == {"q1": {"a": 3, "b": 1}, "q2": {"c": 1}}


def test_per_query_hand_computed() -> None:
    values = per_query(QRELS, RUN, ("ndcg@10", "mrr", "recall@10", "map"))
    # q1: ranking b(1), a(3). DCG = 1/log2(2) + 3/log2(3) ; ideal = 3/1 + 1/log2(3)  (ranx: linear gains)
    dcg, ideal = 1 + 3 / math.log2(3), 3 + 1 / math.log2(3)
    assert values["ndcg@10"]["q1"] == pytest.approx(dcg / ideal, abs=1e-4)
    assert values["mrr"] == {"q1": 1.0, "q2": 0.5}
    assert values["recall@10"] == {"q1": 1.0, "q2": 1.0}
    assert values["map"]["q2"] == pytest.approx(0.5)


def test_query_missing_from_run_scores_zero() -> None:
    assert per_query({"q9": {"a": 1}}, {}, ("mrr",))["mrr"] == {"q9": 0.0}


def test_summary_has_ci_and_p_value() -> None:
    runs = {"bm25": RUN, "other": {"q1": {"a": 1.0, "b": 0.5}, "q2": {"c": 1.0}}}
    summary = summarize(QRELS, runs, metrics=("mrr",))
    assert summary["queries"] == 2
    assert summary["systems"]["other"]["mrr"]["mean"] == 1.0
    assert summary["systems"]["bm25"]["mrr"]["mean"] == 0.75
    assert summary["systems"]["bm25"]["mrr"]["p_vs_bm25"] is None


def test_bootstrap_and_paired_test_edges() -> None:
    low, high = bootstrap_ci(__import__("numpy").array([1.0, 1.0, 1.0]))
    assert (low, high) == (1.0, 1.0)
    assert paired_p({"a": 1.0, "b": 0.0}, {"a": 1.0, "b": 0.0}) == 1.0


def test_reliability_bins_and_ece_by_hand() -> None:
    import numpy as np

    from matcher.ranking.calibration import reliability

    found = reliability(np.array([0.05, 0.15, 0.95, 0.85]), np.array([0, 1, 1, 1]))
    assert [(b["bin"], b["count"], b["observed"]) for b in found["bins"]] == [
        (0, 1, 0.0),
        (1, 1, 1.0),
        (8, 1, 1.0),
        (9, 1, 1.0),
    ]
    # |0 − .05| + |1 − .15| + |1 − .85| + |1 − .95|, each a quarter of the pairs
    assert found["ece"] == pytest.approx((0.05 + 0.85 + 0.15 + 0.05) / 4, abs=1e-4)
    assert (found["pairs"], found["relevant"]) == (4, 3)

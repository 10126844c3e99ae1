"""Expert evidence beyond the expert's own outcomes (`ranking/expert/colleagues.py`), by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.ranking.expert.colleagues import (
    centroid_cosine,
    colleague_row,
    institution_ranks,
    ranks_by_institution,
)
from matcher.ranking.expert.features import vote

FUSED = {10: 1, 11: 2, 12: 3, 20: 4, 30: 5}  # outcome pk → fused rank
HOLDER = {10: 1, 11: 1, 12: 2, 20: 2}  # outcome 30 has no institution


def test_ranks_group_by_institution() -> None:
    assert ranks_by_institution(FUSED, HOLDER) == {1: [(10, 1), (11, 2)], 2: [(12, 3), (20, 4)]}


def test_institution_ranks_by_vote() -> None:
    by_inst = ranks_by_institution(FUSED, HOLDER)
    # institution 1 votes 1/√1 + 0.5/√2; institution 2 votes 1/√3 + 0.5/√4: 1 is first
    assert institution_ranks(by_inst, vote) == {1: 1, 2: 2}


def test_colleague_row_leaves_out_the_experts_own_outcomes() -> None:
    by_inst = ranks_by_institution(FUSED, HOLDER)
    ranks = institution_ranks(by_inst, vote)
    # the expert holds outcome 10; the colleague's outcome 11 is at rank 2 → vote 1/√2
    assert colleague_row(1, [10], by_inst, ranks, vote, 400) == pytest.approx([1 / math.sqrt(2), 0.0])
    assert colleague_row(1, [10, 11], by_inst, ranks, vote, 400) == pytest.approx([0.0, 0.0])
    assert colleague_row(2, [99], by_inst, ranks, vote, 400) == pytest.approx([vote([3, 4]), math.log(2)])
    assert colleague_row(None, [10], by_inst, ranks, vote, 400) == pytest.approx([0.0, math.log(400)])
    assert colleague_row(7, [10], by_inst, ranks, vote, 400) == pytest.approx([0.0, math.log(400)])


def test_centroid_cosine_by_hand() -> None:
    q = np.array([1.0, 0.0])
    # two unit vectors at ±60°: their mean (0.5, 0) points along the query → cosine 1, where the mean cosine is 0.5
    v = np.array([[0.5, math.sqrt(3) / 2], [0.5, -math.sqrt(3) / 2]])
    assert centroid_cosine(v, q) == pytest.approx(1.0)
    assert centroid_cosine(v[:1], q) == pytest.approx(0.5)
    assert centroid_cosine(np.array([[0.0, 1.0], [0.0, -1.0]]), q) == 0.0  # opposite vectors: no direction
    assert centroid_cosine(np.zeros((0, 2)), q) == 0.0

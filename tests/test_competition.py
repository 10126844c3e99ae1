from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.runner import NeedCandidates, pool_set
from matcher.index.dense import DenseIndex
from matcher.search.competition import competition, own_needs, rival_cosines
from matcher.search.query import Query
from matcher.store.views import OutcomeInfo


def test_competition_hand_computed() -> None:
    own = np.array([0.8, 0.5])
    rivals = np.array([[0.8, 0.78, -1.0], [0.7, -1.0, -1.0]])
    share, rank_rr, margin = competition(own, rivals, tau=0.02).T
    # row 0: exp(0) / (exp(0) + exp(0) + exp(-0.02 / 0.02)); the padding (−1) is no rival
    assert share[0] == pytest.approx(1 / (2 + math.exp(-1)))
    # row 1: the rival leads by 0.2, i.e. exp(-10) against exp(0)
    assert share[1] == pytest.approx(math.exp(-10) / (1 + math.exp(-10)))
    assert rank_rr.tolist() == [1.0, 0.5]  # a tie is not a closer rival
    assert margin == pytest.approx([0.0, -0.2])


def test_competition_without_rivals_is_a_sole_need() -> None:
    share, rank_rr, margin = competition(np.array([0.6]), np.zeros((1, 0))).T
    assert (share[0], rank_rr[0], margin[0]) == (1.0, 1.0, pytest.approx(1.6))


def _needs() -> DenseIndex:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    return DenseIndex(embedder="toy", dim=2).build([10, 11, 12], vectors, ["a", "b", "c"])


def test_rival_cosines_skip_the_query_need_and_pad() -> None:
    needs = _needs()
    query = np.array([0.0, 1.0], dtype=np.float32)
    exclude = own_needs(needs, query)
    assert exclude == {11}
    cos = rival_cosines(needs, np.array([[0.8, 0.6], [0.0, 1.0]], dtype=np.float32), exclude, k=3)
    # outcome 0: need 12 (0.48 + 0.48 = 0.96), need 10 (0.8); need 11 is the query's own; one slot padded
    assert cos == pytest.approx(np.array([[0.96, 0.8, -1.0], [0.8, 0.0, -1.0]]))


def test_rival_cosines_with_no_need_index() -> None:
    assert rival_cosines(None, np.ones((2, 2)), set(), k=2).tolist() == [[-1.0, -1.0], [-1.0, -1.0]]


def _info(pk: int, oid: str) -> OutcomeInfo:
    return OutcomeInfo(pk, oid, "paper", oid, None, None, None, "", None)


def test_pool_set_grades_every_retrieved_candidate() -> None:
    infos = {1: _info(1, "o1"), 3: _info(3, "o3")}
    query = Query(text="", tokens=[], terms=[], vector=np.zeros(2), keywords=[])
    items = [NeedCandidates("q", query, [1, 3], np.array([[1.0], [5.0]]), infos)]
    ts = pool_set(items, {"q": {"o1": 2, "o2": 1}})
    # o1 judged 2; o3 retrieved but not judged: 0; o2 judged but not retrieved: no row
    assert (ts.targets, ts.y.tolist(), ts.X[:, 0].tolist()) == (["o1", "o3"], [2.0, 0.0], [1.0, 5.0])
    assert (ts.queries, ts.groups.tolist()) == (["q"], [0, 0])

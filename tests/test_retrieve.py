from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.index.dense import DenseIndex
from matcher.search.fusion import FusionParams, fuse, fuse_scores, rrf
from matcher.search.query import Query
from matcher.search.retrieve import dense_candidates


def test_rrf_hand_computed() -> None:
    # 1/(60+1) + 1/(60+3) = 0.016393 + 0.015873
    got = rrf(np.array([1, 0]), np.array([3, 2]), FusionParams(rrf_k=60, weight_dense=0.5))
    assert got == pytest.approx([1 / 61 + 0.5 / 63, 0.5 / 62])  # the second item: dense only


def test_fuse_scores_rank_one_candidate_set() -> None:
    bm25, dense = np.array([0.0, 2.0, 1.0]), np.array([0.3, 0.9, 0.5])
    assert fuse_scores(bm25, dense, FusionParams()) == pytest.approx([1 / 63, 1 / 61 + 1 / 61, 1 / 62 + 1 / 62])
    z = fuse_scores(bm25, dense, FusionParams(method="zsum"))  # bm25 z over {2, 1} = ±1; the unretrieved gets −1
    assert z == pytest.approx([-1 + (0.3 - 17 / 30) / np.std(dense), 1 + (0.9 - 17 / 30) / np.std(dense),
                               -1 + (0.5 - 17 / 30) / np.std(dense)])  # fmt: skip


def test_fuse_rrf_orders_and_keeps_components() -> None:
    bm25 = (np.array([10, 20, 30]), np.array([9.0, 5.0, 1.0]))
    dense = (np.array([20, 40]), np.array([0.9, 0.8]))
    fused = fuse(bm25, dense, FusionParams(method="rrf", rrf_k=60))
    assert [pk for pk, _ in fused] == [20, 10, 40, 30]  # 20 is in both lists
    comp = dict(fused)[20]
    assert (comp.bm25_rank, comp.dense_rank, comp.bm25, comp.dense) == (2, 1, 5.0, 0.9)
    assert comp.fused == pytest.approx(1 / 62 + 1 / 61, abs=1e-6)
    assert dict(fused)[30].dense_rank is None


def test_fuse_zsum_uses_floor_for_missing_system() -> None:
    bm25 = (np.array([1, 2]), np.array([3.0, 1.0]))  # z = +1, -1
    dense = (np.array([2, 3]), np.array([0.5, 0.3]))  # z = +1, -1
    fused = dict(fuse(bm25, dense, FusionParams(method="zsum")))
    assert fused[1].fused == pytest.approx(1 + -1)  # bm25 z=+1, dense missing → floor -1
    assert fused[2].fused == pytest.approx(-1 + 1)
    assert fused[3].fused == pytest.approx(-1 + -1)


def test_dense_retrieval_searches_with_full_text_and_title_together() -> None:
    from matcher.search.query import Query

    full, title = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    both = Query("t", [], [], full, [], title_vector=title).retrieval_vector()
    assert both == pytest.approx([0.70710677, 0.70710677])  # (1, 1) / sqrt(2)
    assert Query("t", [], [], full, []).retrieval_vector() is full  # no title: the full-text vector itself


def _unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def _competing() -> tuple[Query, DenseIndex, DenseIndex]:
    """A hub outcome (pk 1, 20° from the query) that sits 5° from another stored need, and a specific outcome
    (pk 2, 35° the other way) that no other need is near; the query's own need (pk 10) is stored too."""
    outcomes = DenseIndex(embedder="toy", dim=2).build(
        [1, 2], np.array([_unit(20), _unit(-35)], np.float32), ["h", "s"]
    )
    needs = DenseIndex(embedder="toy", dim=2).build([10, 11], np.array([_unit(0), _unit(25)], np.float32), ["q", "r"])
    query = Query(text="q", tokens=[], terms=[], vector=np.array(_unit(0), np.float32), keywords=[])
    return query, outcomes, needs


def test_dense_candidates_reorder_the_scan_by_need_share() -> None:
    query, outcomes, needs = _competing()
    pks, cosines = dense_candidates(query, dense=outcomes, needs=needs, depth=2, scan=2)
    # hub: share exp((cos 20° − cos 5°) / 0.02) ≈ 0.06 of its mass; specific: cos 35° against cos 60°, share ≈ 1
    assert pks.tolist() == [2, 1]
    assert cosines == pytest.approx([math.cos(math.radians(35)), math.cos(math.radians(20))], abs=1e-6)
    assert dense_candidates(query, dense=outcomes, needs=needs, depth=1, scan=2)[0].tolist() == [2]


def test_dense_candidates_keep_cosine_order_without_competition() -> None:
    query, outcomes, needs = _competing()
    assert dense_candidates(query, dense=outcomes, needs=needs, depth=2, scan=0)[0].tolist() == [1, 2]
    assert dense_candidates(query, dense=outcomes, needs=None, depth=2, scan=2)[0].tolist() == [1, 2]
    empty = DenseIndex(embedder="toy", dim=2)
    assert dense_candidates(query, dense=outcomes, needs=empty, depth=2, scan=2)[0].tolist() == [1, 2]

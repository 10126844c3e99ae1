"""The simulated labeller on a small synthetic judged set: budgets in order, each pair judged at most once, the
last point (every pool pair judged) equal to the whole-pool reference, and before a first fit the fused retrieval
ranks (no ECE)."""

from __future__ import annotations

import numpy as np

from evaluation.learning import curve, learning_curves, render_html, split
from matcher.ranking.cv import JudgedSet
from matcher.ranking.outcome.features import FEATURES


def _judged(needs: int = 20, per_need: int = 8, seed: int = 0) -> tuple[JudgedSet, dict[str, dict[str, int]]]:
    rng = np.random.default_rng(seed)
    rows = needs * per_need
    y = rng.integers(0, 4, rows).astype(float)
    X = rng.normal(size=(rows, len(FEATURES)))
    X[:, FEATURES.index("bm25")] += y  # one signal that knows relevance, rrf and dense_cos mostly noise
    groups = np.repeat(np.arange(needs), per_need)
    queries, targets = [f"N{q}" for q in range(needs)], [f"T{r}" for r in range(rows)]
    qrels: dict[str, dict[str, int]] = {}
    for r in range(rows):
        qrels.setdefault(queries[groups[r]], {})[targets[r]] = int(y[r])
    return JudgedSet(X, y, groups, queries, targets), qrels


def test_a_curve_judges_each_pair_once_and_ends_at_the_whole_pool() -> None:
    ts, qrels = _judged()
    found = learning_curves(ts, qrels, seeds=2, line=0.3)
    for name in ("active", "random"):
        points = found["curves"][name]
        assert [round(p["judgements"]) for p in points] == [25, 50, 100, 112]  # 14 pool needs × 8 pairs
        assert points[-1]["ndcg@10"] == found["references"]["whole pool"]["ndcg@10"]
    top = found["curves"]["top"]  # from the top: needs stop at their first relevant pair, so fewer may be judged
    assert top[0]["judgements"] <= 25 and top[-1]["judgements"] == 112
    assert top[-1]["ndcg@10"] == found["references"]["whole pool"]["ndcg@10"]
    assert found["to_reach"]["active"]["whole pool"] is not None
    page = render_html(found)
    assert "标注的收益" in page and "<svg" in page and "融合检索" in page and "主动选择" in page


def test_before_a_first_fit_the_fused_retrieval_ranks() -> None:
    ts, qrels = _judged()
    pool, test = split(ts, 0)
    assert not set(pool) & set(test) and len(pool) + len(test) == len(ts.y)
    points = curve(ts, qrels, pool[:8], test, "active", 0, 0.3)  # one need's 8 pairs: one budget, the whole pool
    assert [p["judgements"] for p in points] == [8] and points[0]["fitted"] == 1.0
    one_grade = ts.y.copy()
    one_grade[pool[:8]] = 2.0  # one need, every pair the same grade: nothing to learn from yet
    flat = JudgedSet(ts.X, one_grade, ts.groups, ts.queries, ts.targets)
    point = curve(flat, qrels, pool[:8], test, "active", 0, 0.3)[0]
    assert point["fitted"] == 0.0 and "ece" not in point


def test_the_expert_level_reads_the_roll_up_votes() -> None:
    from evaluation.learning import EXPERT
    from matcher.ranking.expert.features import EXPERT_FEATURES

    rng = np.random.default_rng(1)
    needs, per_need = 10, 6
    y = np.zeros(needs * per_need)
    y[::per_need] = 1.0  # each need's first expert is its one right expert (NSFC's shape)
    X = rng.normal(size=(len(y), len(EXPERT_FEATURES)))
    X[:, EXPERT.column("vote_hybrid")] = y * 10  # the roll-up ranks the right expert first: fused nDCG@10 = 1
    X[:, EXPERT.column("vote_dense")] = -y * 10  # dense ranks it last of six: nDCG@10 = 1 / log2(7)
    groups = np.repeat(np.arange(needs), per_need)
    queries, targets = [f"N{q}" for q in range(needs)], [f"X{r}" for r in range(len(y))]
    qrels = {queries[q]: {targets[q * per_need]: 1} for q in range(needs)}
    found = learning_curves(JudgedSet(X, y, groups, queries, targets), qrels, seeds=1, signals=EXPERT)
    assert found["references"]["fused"]["ndcg@10"] == 1.0
    assert found["references"]["dense"]["ndcg@10"] == round(1 / np.log2(7), 4)
    # judging from the top takes the fused list first: each of the 7 pool needs' first pair is its right expert,
    # and the need stops there (7 judgements of the budget of 25, all relevant)
    assert found["curves"]["top"][0]["judgements"] == 7 and found["curves"]["top"][0]["relevant"] == 7

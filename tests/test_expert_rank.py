"""Expert-level features and ranker: hand-computed pieces, a real workspace, save/load round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from matcher.errors import ModelMismatchError
from matcher.index.terms import expert_documents, outcome_terms
from matcher.match import forward
from matcher.ranking.cv import JudgedSet
from matcher.ranking.expert.features import (
    EXPERT_FEATURES,
    RELATIVE,
    ExpertCandidates,
    bigrams,
    rank_maps,
    vote,
)
from matcher.ranking.expert.pool import PoolParams, top_by
from matcher.ranking.expert.rerank import rerank_hits
from matcher.ranking.expert.train import EXPERT_RANKER
from matcher.ranking.qrels import evaluate_run
from matcher.ranking.training import fit_ranker
from matcher.store.tables import Expert, Outcome
from matcher.workspace.context import Context


def test_vote_and_bigrams_by_hand() -> None:
    assert vote([4, 1]) == pytest.approx(1.0 + 0.5 * 0.5)  # 1/sqrt(1) + 0.5 · 1/sqrt(4)
    assert vote([]) == 0.0
    assert bigrams("锆英粉") == {"锆英", "英粉"}


def test_rank_maps_split_the_fused_list() -> None:
    from matcher.search.results import Components, Scored

    fused = [
        Scored(7, 1.0, Components(0.03, bm25_rank=2, dense_rank=1)),
        Scored(3, 0.7, Components(0.02, bm25_rank=1)),
        Scored(9, 0.5, Components(0.01, dense_rank=5)),
    ]
    assert rank_maps(fused) == {"fused": {7: 1, 3: 2, 9: 3}, "bm25": {7: 2, 3: 1}, "dense": {7: 1, 9: 5}}


def _judged(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[JudgedSet, dict[str, dict[str, int]]]:
    """Rows as candidates of needs q0, q1, …; qrels name each need's relevant row, or an absent expert."""
    queries = [f"q{g}" for g in np.unique(groups)]
    targets = [f"e{i}" for i in range(len(y))]
    qrels = {q: {"absent": 1} for q in queries}
    for i in np.flatnonzero(y):
        qrels[f"q{groups[i]}"] = {targets[i]: 1}
    return JudgedSet(X, y, groups, queries, targets), qrels


def test_mrr_by_hand() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.2, 0.8, 0.3])
    ts, qrels = _judged(np.zeros((6, 1)), np.array([0, 1, 0, 0, 0, 0]), np.array([0, 0, 0, 1, 1, 1]))
    # need 0: order 0.9, 0.5, 0.1 → the relevant row is third → 1/3; need 1's expert is not a candidate → 0
    assert evaluate_run(qrels, ts.run(np.arange(6), scores), "mrr") == pytest.approx((1 / 3 + 0) / 2)


def test_expert_candidates_on_a_workspace(loaded: Context) -> None:
    found = forward.expert_pool(loaded, forward.need_query(loaded, "N2"))
    assert found.X.shape == (len(found.ids), len(EXPERT_FEATURES)) and len(found.ids) >= 2
    votes = found.X[:, EXPERT_FEATURES.index("vote_hybrid")]
    assert list(votes) == sorted(votes, reverse=True)
    relative = found.X[:, len(EXPERT_FEATURES) - len(RELATIVE) :]
    assert relative.max() == 0.0 and (relative.max(axis=0) == 0).all()  # the best candidate sits at 0
    names = dict(zip(found.ids, found.X[:, EXPERT_FEATURES.index("log_outcomes")], strict=True))
    assert names["E1"] == pytest.approx(np.log1p(2))  # 周建国 holds O1 and O2
    col = {n: found.X[:, EXPERT_FEATURES.index(n)] for n in ("cos_max", "cos_centroid", "colleague_vote")}
    one = np.isclose(found.X[:, EXPERT_FEATURES.index("log_outcomes")], np.log1p(1))
    assert one.any() and np.allclose(col["cos_centroid"][one], col["cos_max"][one])  # one outcome: its own centroid
    assert (col["colleague_vote"] == 0).all()  # the expert's own outcomes never count as colleagues'
    by_vote = PoolParams(vote_top=1, dense_top=0, profile_top=0)
    assert forward.expert_pool(loaded, forward.need_query(loaded, "N2"), pool=by_vote).ids == found.ids[:1]


def test_prf_feature_is_the_best_outcome_against_the_fused_head(loaded: Context) -> None:
    query = forward.need_query(loaded, "N2")
    found = forward.expert_pool(loaded, query)
    head = loaded.snapshot().indexes.dense.vectors([s.pk for s in forward.candidates(loaded, query)[:5]]).mean(axis=0)
    with loaded.session() as session:
        pks = list(session.scalars(select(Outcome.pk).where(Outcome.id.in_(["O1", "O2"]))))  # 周建国's
    expected = float((loaded.snapshot().indexes.dense.vectors(pks) @ (head / np.linalg.norm(head))).max())
    got = found.X[found.ids.index("E1"), EXPERT_FEATURES.index("cos_prf_max")]
    assert got == pytest.approx(expected, abs=1e-5)


def test_top_by_by_hand() -> None:
    assert top_by(np.array([0.2, 0.9, 0.5, 0.9]), 2) == {1, 3}  # ties keep the earlier rows
    assert top_by(np.array([0.2, 0.9]), 0) == set() and top_by(np.array([]), 3) == set()


def test_profile_documents_join_an_experts_outcomes(loaded: Context) -> None:
    with loaded.session() as session:
        terms = outcome_terms(session)
        pks, docs = expert_documents(session, terms)
        o1, o2 = (session.scalar(select(Outcome).where(Outcome.id == i)) for i in ("O1", "O2"))
        e1 = session.scalar(select(Expert.pk).where(Expert.id == "E1"))
        assert o1 is not None and o2 is not None
        assert docs[pks.index(e1)] == terms[o1.pk] + terms[o2.pk]
        assert terms[o1.pk][: len(o1.tokens.split())] == o1.tokens.split()  # jieba tokens first, then bigrams
    assert loaded.snapshot().indexes.experts is not None and loaded.snapshot().indexes.experts.count == len(pks) == 4


def test_profile_bm25_alone_fills_the_pool(loaded: Context) -> None:
    """With vote and dense sources off, the pool is the best profile: 周建国's record (O1 + O2) for the foundry
    need; both his outcomes come as extra roll-up items that add no vote."""
    only_profile = PoolParams(vote_top=0, dense_top=0, profile_top=1)
    found = forward.expert_pool(loaded, forward.need_query(loaded, "N1"), pool=only_profile)
    assert found.ids == ["E1"]
    assert found.X[0, EXPERT_FEATURES.index("profile_bm25")] > 0
    with loaded.session() as session:
        ids = {session.get(Outcome, s.pk).id for s in found.extra}  # type: ignore[union-attr]
    assert ids == {"O1", "O2"} and all(s.score == 0.0 for s in found.extra)


class _ByFirstColumn:
    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return X[:, 0]

    def degree_of(self, raw: np.ndarray) -> np.ndarray:
        return 100 * raw

    def probability_of(self, raw: np.ndarray) -> np.ndarray:
        return raw


def test_rerank_keeps_the_pool_in_model_order() -> None:
    from matcher.search.results import ExpertHit

    def hit(rank: int, eid: str) -> ExpertHit:
        return ExpertHit(rank=rank, id=eid, name=eid, title=None, institution=None, region=None, score=0.0,
                         n_outcomes=1, matched_terms=[], evidence=[])  # fmt: skip

    found = ExpertCandidates(["b", "c"], np.array([[0.2], [0.7]]))
    ordered = rerank_hits([hit(1, "a"), hit(2, "b"), hit(3, "c")], found, _ByFirstColumn())  # type: ignore[arg-type]
    assert [(h.id, h.rank, h.score) for h in ordered] == [("c", 1, 0.7), ("b", 2, 0.2)]  # "a" is not in the pool


def _toy(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, len(EXPERT_FEATURES)))
    groups = np.repeat(np.arange(60), 10)
    y = np.zeros(600, int)
    for g in range(60):
        rows = np.flatnonzero(groups == g)
        y[rows[np.argmax(X[rows, 0] + 0.3 * rng.normal(size=10))]] = 1
    return X, y, groups


def test_select_learns_and_round_trips(tmp_path: Path) -> None:
    ts, qrels = _judged(*_toy())
    grid = [
        {"objective": "binary-gbdt", "max_iter": 30, "min_samples_leaf": 20},
        {"objective": "binary-gbdt", "max_iter": 60, "min_samples_leaf": 20, "max_depth": 2},
    ]
    model, cv = fit_ranker(ts, qrels, EXPERT_RANKER, grid=grid, folds=3)
    assert cv["best"]["params"] in grid and len(cv["table"]) == 2
    X = ts.X
    run = ts.run(np.arange(len(ts.y)), model.decision_function(X))
    assert evaluate_run(qrels, run, "mrr") > 0.6  # the signal sits in feature 0
    model.save(tmp_path / "m", features=EXPERT_FEATURES, summary={"name": "toy"}, card="")
    again, params = EXPERT_RANKER.load(tmp_path / "m")
    assert np.array_equal(again.decision_function(X), model.decision_function(X))
    assert params["features"] == EXPERT_FEATURES and params["name"] == "toy"
    meta = json.loads((tmp_path / "m" / "params.json").read_text())
    meta["features"] = meta["features"][:-1]
    (tmp_path / "m" / "params.json").write_text(json.dumps(meta))
    with pytest.raises(ModelMismatchError):
        EXPERT_RANKER.load(tmp_path / "m")


def test_trained_expert_ranker_reorders_expert_matches(loaded: Context) -> None:
    from matcher.learn.train import train_expert_ranker

    before = forward.match(loaded, forward.need_query(loaded, "N2"), level="expert", top=3)
    assert "+experts:" not in before.scorer  # nothing trained yet
    judged = {"N1": {"E1": 1}, "N2": {before.hits[-1].id: 1}}
    params = train_expert_ranker(
        loaded, judged, out=loaded.workspace.models_dir / "expert", name="tiny", sources=["inline"]
    )
    assert params["training"]["relevant"] == 2 and params["embedder"] == "fake/bigram-64"
    loaded.served.reload()
    after = forward.match(loaded, forward.need_query(loaded, "N2"), level="expert", top=3)
    assert after.scorer.endswith("+experts:tiny")
    assert {h.id for h in after.hits} == {h.id for h in before.hits}
    scores = [h.score for h in after.hits]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    assert [h.rank for h in after.hits] == [1, 2, 3]
    assert "+experts:" not in forward.match(loaded, forward.need_query(loaded, "N2"), level="institution").scorer


@pytest.mark.parametrize(
    "config", EXPERT_RANKER.grid, ids=lambda c: f"depth{c['max_depth']}-l2{c['l2_regularization']}"
)
def test_nested_cv_runs_whichever_configuration_a_fold_chooses(config: dict) -> None:
    """`evaluate --level expert --ranker cv` once crashed when the third configuration won a fold: force each."""
    from evaluation.expert_runner import nested_cv_run
    from matcher.ranking.expert.features import ExpertCandidates

    X, y, groups = _toy(1)
    cands = {
        f"q{g}": ExpertCandidates([f"e{i}" for i in np.flatnonzero(groups == g)], X[groups == g]) for g in range(60)
    }
    qrels = {f"q{g}": {f"e{i}": 1} for g in range(60) for i in np.flatnonzero((groups == g) & (y == 1))}
    run, info = nested_cv_run(cands, qrels, folds=3, grid=[{**config, "max_iter": 20, "min_samples_leaf": 20}])
    assert len(run) == 60 and all(len(r) == 10 for r in run.values())
    assert [row["params"]["max_depth"] for row in info["chosen_per_fold"]] == [config["max_depth"]] * 3

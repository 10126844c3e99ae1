"""The reverse ranker (成果找需求 / 找企业) on tiny hand-made cases: its features by hand, a ranker that learns a
hand-made order, a served reverse question that goes through the ranker's own map key, and a served key without a
map that shows no 匹配度 (and cannot be shipped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from matcher.errors import InputError
from matcher.levels import ENTERPRISES, NEEDS
from matcher.match import reverse
from matcher.ranking.calibration import Calibration, LevelMap, served_keys
from matcher.ranking.cv import JudgedSet
from matcher.ranking.model import Ranker
from matcher.ranking.reverse.features import REVERSE_FEATURES, NeedSignals, reverse_features
from matcher.ranking.reverse.train import REVERSE_RANKER
from matcher.ranking.training import save_ranker
from matcher.rollup.enterprises import enterprise_vote
from matcher.search.degree import UNCALIBRATED
from matcher.search.probe import Part, Probe
from matcher.search.vote import VoteParams
from matcher.text.tokenize import Tokenizer
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import OUTCOMES, FakeEmbedder, write_jsonl
from tests.test_reverse import INSTITUTIONS
from tests.test_reverse import NEEDS as NEED_ROWS

COS = REVERSE_FEATURES.index("dense_cos")


def _col(X: np.ndarray, name: str) -> list[float]:
    return [round(float(v), 6) for v in X[:, REVERSE_FEATURES.index(name)]]


def test_reverse_features_by_hand() -> None:
    tokenizer = Tokenizer()  # no corpus: every token the same IDF, so IDF mass is a plain share
    parts = [Part("A", "a", ["涂料", "铸件"], [], np.zeros(2)), Part("B", "b", ["电池"], [], np.zeros(2))]
    probe = Probe("expert", "x", parts, keywords=["涂料", "铸件"])
    signals = NeedSignals(
        vote=np.array([2.0, 1.0]),
        best_rank=np.array([1.0, 4.0]),
        found_by=np.array([2.0, 1.0]),
        dense=np.array([0.9, 0.5]),
        bm25=np.array([3.0, 0.0]),
        tokens=[("涂料", "铸件", "光洁度"), ("电池", "预警")],
        title_tokens=[("涂料", "开发"), ("电池",)],
    )
    X = reverse_features(signals, probe, tokenizer)
    assert X.shape == (2, len(REVERSE_FEATURES))
    assert _col(X, "vote_norm") == [1.0, 0.5] and _col(X, "best_rr") == [1.0, 0.25]
    assert _col(X, "part_share") == [1.0, 0.5]
    assert _col(X, "dense_z") == [1.0, -1.0] and _col(X, "bm25_norm") == [1.0, 0.0]
    assert _col(X, "kw_idf_cover") == [1.0, 0.0] and _col(X, "kw_hits") == [2.0, 0.0]
    assert _col(X, "title_cover") == [0.5, 1.0]  # 涂料 of 涂料/开发; 电池 of 电池
    assert _col(X, "need_len") == [round(float(np.log1p(3)), 6), round(float(np.log1p(2)), 6)]
    empty = NeedSignals(*[np.zeros(0)] * 5, [], [])
    assert reverse_features(empty, probe, tokenizer).shape == (0, len(REVERSE_FEATURES))


def _set(groups: int, seed: int = 0, first: int = 0) -> JudgedSet:
    """Per outcome, 4 candidate needs in vote order: the relevant one (grade 3, the g-th of group g, counted from
    `first`) has the highest cosine, wherever the vote put it."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for g in range(groups):
        for i, vote in enumerate((1.0, 0.7, 0.5, 0.4)):
            grade, cos = (3, 0.9) if i == (first + g) % 4 else (0, 0.2 + 0.1 * i)
            row = rng.normal(0, 0.01, len(REVERSE_FEATURES))
            row[REVERSE_FEATURES.index("vote")], row[COS] = vote, cos
            rows.append(row)
            labels.append(grade)
    groups_of = np.repeat(np.arange(groups), 4)
    targets = [f"N{i % 4}" for i in range(4 * groups)]
    return JudgedSet(np.array(rows), np.array(labels, float), groups_of, [f"O{g}" for g in range(groups)], targets)


def test_the_reverse_ranker_learns_to_put_the_relevant_need_first() -> None:
    ts = _set(12)
    model = Ranker(objective="pairwise-linear", C=1.0).fit(ts.X, ts.y, ts.groups)
    held = _set(1, seed=1, first=2)
    order = np.argsort(-model.decision_function(held.X))
    assert order[0] == 2  # the fused vote ranked it third
    served = model.probability_of(model.decision_function(held.X))
    assert np.all((served > 0) & (served < 1)) and served[2] == served.max()


@pytest.fixture
def reverse_model(tmp_path: Path) -> Path:
    """A reverse ranker saved as `matcher train --level needs` saves one (fake embedder): cosine-driven."""
    ts = _set(12)
    model = Ranker(objective="pairwise-linear", C=1.0).fit(ts.X, ts.y, ts.groups)
    cv = {"metric": "ndcg@10", "folds": 2, "rule": "best", "best": {"params": {}, "mean": 1.0, "std": 0.0},
          "table": []}  # fmt: skip
    save_ranker(tmp_path / "reverse", model, cv, REVERSE_RANKER, ts=ts, embedder=FakeEmbedder.name, name="rev",
                sources=["tests"], levels=["needs", "enterprises"])  # fmt: skip
    return tmp_path / "reverse"


def _maps(folder: Path, keys: dict[str, tuple[float, float]]) -> Path:
    Calibration({k: LevelMap([0.0, 1.0], list(y), "tests") for k, y in keys.items()}).save(
        folder, embedder=FakeEmbedder.name, name="maps"
    )
    return folder


def _market(tmp_path: Path, **settings: str) -> Iterator[Context]:
    s = Settings(home=tmp_path / "ws", database_url=None, _env_file=None, **settings)  # type: ignore[call-arg]
    ctx = open_context(s, embedder=FakeEmbedder())
    data.import_file(ctx, "institutions", write_jsonl(tmp_path / "i.jsonl", INSTITUTIONS))
    data.import_file(ctx, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(ctx, "needs", write_jsonl(tmp_path / "n.jsonl", NEED_ROWS))
    data.build_index(ctx)
    yield ctx
    ctx.close()


def test_a_served_reverse_ranker_orders_the_needs_and_goes_through_its_own_map(
    tmp_path: Path, reverse_model: Path
) -> None:
    # needs:ranker maps every probability into 20–40, needs:vote (the fused vote's) would give 90 and above
    maps = _maps(tmp_path / "maps", {"needs:ranker": (0.2, 0.4), "needs:vote": (0.9, 1.0),
                                      "enterprises:ranker": (0.1, 0.2), "enterprises:vote": (0.9, 1.0)})  # fmt: skip
    for ctx in _market(tmp_path, reverse_model=str(reverse_model), calibration=str(maps)):
        probe = reverse.probe(ctx, outcome_id="O1")
        needs = reverse.reverse(ctx, probe, top=10)
        assert needs.scorer == "ranker:rev" and needs.hits
        assert all(20.0 <= h.degree <= 40.0 for h in needs.hits) and UNCALIBRATED not in (needs.notice or "")
        probabilities = [h.score for h in needs.hits]
        assert probabilities == sorted(probabilities, reverse=True) and all(0 <= p < 1 for p in probabilities)
        firms = reverse.reverse(ctx, probe, target="enterprises", top=10)
        assert firms.scorer == "ranker:rev" and firms.hits
        assert all(20.0 <= n.degree <= 40.0 for h in firms.hits for n in h.evidence)  # its needs: needs:ranker
        # an enterprise's 匹配度 is its best need's (not a map of its rank: 10–20 here), best first
        assert [h.degree for h in firms.hits] == [h.evidence[0].degree for h in firms.hits]
        assert [h.degree for h in firms.hits] == sorted((h.degree for h in firms.hits), reverse=True)
        # an enterprise votes with its needs' ranks in the ranker's order (1/√rank), not their flat probabilities
        rank = {h.id: h.rank for h in needs.hits}
        jia = next(h for h in firms.hits if h.name == "甲重型铸造有限公司")
        assert sorted(n.id for n in jia.evidence) == ["N1", "N2"]
        assert jia.score == round(enterprise_vote([rank["N1"] ** -0.5, rank["N2"] ** -0.5], VoteParams()), 4)


def test_a_reverse_ranker_served_at_needs_only_leaves_enterprises_to_the_vote(
    tmp_path: Path, reverse_model: Path
) -> None:
    import json

    params = json.loads((reverse_model / "params.json").read_text(encoding="utf-8"))
    served = reverse_model.parent / "needs-only"
    served.mkdir()
    for f in reverse_model.iterdir():
        (served / f.name).write_bytes(f.read_bytes())
    (served / "params.json").write_text(json.dumps({**params, "levels": ["needs"]}), encoding="utf-8")
    for ctx in _market(tmp_path, reverse_model=str(served)):
        probe = reverse.probe(ctx, outcome_id="O1")
        assert reverse.reverse(ctx, probe, top=10).scorer == "ranker:rev"
        assert reverse.reverse(ctx, probe, target="enterprises", top=10).scorer == "fused"


def test_a_served_reverse_key_without_a_map_shows_no_degree(tmp_path: Path, reverse_model: Path) -> None:
    maps = _maps(tmp_path / "maps", {"needs:vote": (0.9, 1.0), "enterprises:vote": (0.9, 1.0)})
    for ctx in _market(tmp_path, reverse_model=str(reverse_model), calibration=str(maps)):
        found = reverse.reverse(ctx, reverse.probe(ctx, outcome_id="O1"), top=10)
        assert found.hits and all(h.degree is None and h.band is None for h in found.hits)
        assert UNCALIBRATED in (found.notice or "")


def test_the_card_check_refuses_maps_without_the_reverse_rankers_keys(tmp_path: Path) -> None:
    keys = served_keys(ranker=True, expert_ranker=False, reverse=("needs", "enterprises"))
    assert {NEEDS.key(ranked=True), ENTERPRISES.key(ranked=True)} <= set(keys) and "needs:vote" not in keys
    assert "needs:vote" in served_keys(ranker=True, expert_ranker=False, reverse=("enterprises",))
    old = Calibration({k: LevelMap([0.0, 1.0], [0.0, 1.0], "t") for k in served_keys(ranker=True, expert_ranker=False)})
    with pytest.raises(InputError, match="needs:ranker"):
        old.save(tmp_path / "m", embedder="e5", name="n", served=keys)

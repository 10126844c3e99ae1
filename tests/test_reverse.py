"""Reverse matching (成果找企业) on tiny hand-built stores: scores hand-computed, conflicts removed in every view,
enterprises rolled up from their needs, bad input rejected."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from matcher.errors import InputError, NotFoundError
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.index.needs import NeedIndexes
from matcher.match import reverse
from matcher.rollup.enterprises import enterprise_vote
from matcher.search.needs import search_needs
from matcher.search.probe import Part, Probe
from matcher.search.retrieve import FusionParams
from matcher.search.vote import VoteParams
from matcher.services.feedback import record_feedback
from matcher.workspace import data
from matcher.workspace.context import Context
from tests.conftest import OUTCOMES, write_jsonl


def _unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def _tiny_need_index() -> NeedIndexes:
    vectors = np.vstack([_unit(1, 0.1), _unit(1, 1), _unit(0.1, 1)])
    dense = DenseIndex(embedder="t", dim=2).build([1, 2, 3], vectors, ["a", "b", "c"])
    lexical = LexicalIndex().fit([1, 2, 3], [["涂料", "铸件"], ["机床"], ["电池", "预警"]])
    return NeedIndexes(dense, lexical)


def test_a_need_scores_the_sum_of_one_over_root_rank_over_the_probe_outcomes() -> None:
    # part A: dense order 1, 2, 3 and BM25 finds need 1 → fused ranks 1:1, 2:2, 3:3
    # part B: dense order 3, 2, 1 and BM25 finds need 3 → fused ranks 3:1, 2:2, 1:3
    parts = [Part("A", "a", ["涂料"], ["涂料"], _unit(1, 0)), Part("B", "b", ["电池"], ["电池"], _unit(0, 1))]
    found = search_needs(Probe("expert", "x", parts), _tiny_need_index(), depth=10, params=FusionParams())
    expected = {1: 1 + 1 / math.sqrt(3), 2: 2 / math.sqrt(2), 3: 1 / math.sqrt(3) + 1}
    assert [f.pk for f in found] == [1, 3, 2]  # need 1 and 3 tie: pk order
    assert {f.pk: round(f.score, 6) for f in found} == {k: round(v, 6) for k, v in expected.items()}
    assert [(p.outcome_id, p.rank) for p in found[0].parts] == [("A", 1), ("B", 3)]


def test_enterprise_vote_is_the_decaying_sum_of_its_best_needs() -> None:
    assert enterprise_vote([0.5, 1.0, 0.25], VoteParams(depth=5, decay=0.5)) == 1 + 0.25 + 0.0625
    assert enterprise_vote([0.5, 1.0, 0.25], VoteParams(depth=1, decay=0.5)) == 1.0


NEEDS = [
    {
        "id": "N1",
        "title": "机床铸件表面涂料开发",
        "description": "寻求锆英粉涂料技术，提高铸件表面光洁度。",
        "organization": "甲重型铸造有限公司",
        "region": "黑龙江",
    },
    {
        "id": "N2",
        "title": "铸造涂料减少粘砂",
        "description": "水基铸造涂料，减少铸件粘砂。",
        "organization": "甲重型铸造公司",
        "region": "黑龙江",
    },
    {
        "id": "N3",
        "title": "铸件涂料国产化",
        "description": "锆英粉铸造涂料国产替代。",
        "organization": "沈阳铸造研究所有限公司",
        "region": "辽宁",
    },
    {
        "id": "N4",
        "title": "动力电池安全预警",
        "description": "需要电池热失控预警与SOC估计算法。",
        "organization": "乙汽车有限公司",
        "region": "重庆",
    },
    {
        "id": "N5",
        "title": "铸件涂料喷涂工艺",
        "description": "锆英粉涂料喷涂工艺优化。",
        "organization": "丙机械有限公司",
        "region": "黑龙江",
        "status": "closed",
    },
]
INSTITUTIONS = [{"name": "甲重型铸造有限公司", "type": "enterprise", "region": "黑龙江", "aliases": ["甲重型铸造公司"]}]


@pytest.fixture
def market(matcher: Context, tmp_path: Path) -> Context:
    data.import_file(matcher, "institutions", write_jsonl(tmp_path / "i.jsonl", INSTITUTIONS))
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(matcher, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    data.build_index(matcher)
    return matcher


def _ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in result.hits]


def test_an_outcome_finds_open_needs_but_never_its_own_organisation(market: Context) -> None:
    result = reverse.reverse(market, reverse.probe(market, outcome_id="O1"), top=10)
    assert _ids(result)[0] in {"N1", "N2"} and "N3" not in _ids(result)  # N3: 沈阳铸造研究所 owns O1
    assert "N5" not in _ids(result)  # closed
    assert result.conflicts_removed == {"own_organization": 1}
    assert result.hits[0].evidence[0].outcome_id == "O1" and result.hits[0].matched_terms


def test_rejected_pairs_leave_every_view(market: Context) -> None:
    with market.session(write=True) as session:
        record_feedback(
            session, need_id="N1", level="expert", target_id="E1", stage="rejected", reason="不合适", actor="t"
        )
    for probe in (reverse.probe(market, outcome_id="O1"), reverse.probe(market, expert_id="E1")):
        needs = reverse.reverse(market, probe, top=10)
        assert "N1" not in _ids(needs) and needs.conflicts_removed["rejected"] == 1
        firms = reverse.reverse(market, probe, target="enterprises", top=10)
        assert all(n.id != "N1" for hit in firms.hits for n in hit.evidence)


def test_needs_roll_up_to_enterprises_with_aliases_folded(market: Context) -> None:
    needs = reverse.reverse(market, reverse.probe(market, expert_id="E1"), top=10)
    firms = reverse.reverse(market, reverse.probe(market, expert_id="E1"), target="enterprises", top=10)
    jia = next(h for h in firms.hits if h.name == "甲重型铸造有限公司")
    assert jia.n_needs == 2 and jia.type == "enterprise" and jia.region == "黑龙江"
    scores = {h.id: h.score for h in needs.hits}
    assert jia.score == round(enterprise_vote([scores["N1"], scores["N2"]], VoteParams()), 4)
    assert firms.hits[0].name == "甲重型铸造有限公司" and [h.rank for h in firms.hits] == [1, 2]


def test_region_filter_and_outcome_text(market: Context) -> None:
    result = reverse.reverse(market, reverse.probe(market, text="动力电池热失控预警算法"), top=3, region="重庆")
    assert _ids(result) == ["N4"]
    assert reverse.reverse(market, reverse.probe(market, institution="上海交大"), top=1).hits[0].id == "N4"


@pytest.mark.parametrize(
    ("probe", "error"),
    [
        ({"outcome_id": "missing"}, NotFoundError),
        ({"expert_id": "missing"}, NotFoundError),
        ({"institution": "不存在的大学"}, NotFoundError),
        ({"text": "   "}, InputError),
        ({}, InputError),
        ({"outcome_id": "O1", "text": "涂料"}, InputError),
    ],
)
def test_bad_probes_are_clear_errors(market: Context, probe: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        reverse.probe(market, **probe)


def test_bad_reverse_parameters(market: Context) -> None:
    probe = reverse.probe(market, outcome_id="O1")
    for kwargs in ({"target": "people"}, {"top": 0}, {"region": "  "}):
        with pytest.raises(InputError):
            reverse.reverse(market, probe, **kwargs)  # type: ignore[arg-type]


def test_needs_saved_after_the_build_are_found_at_once(market: Context, tmp_path: Path) -> None:
    assert "N9" not in _ids(reverse.reverse(market, reverse.probe(market, outcome_id="O1"), top=10))
    extra = [{"id": "N9", "title": "铸造涂料烘干", "description": "锆英粉涂料烘干工艺。"}]
    data.import_file(market, "needs", write_jsonl(tmp_path / "n9.jsonl", extra))  # no index build
    result = reverse.reverse(market, reverse.probe(market, outcome_id="O1"), top=10)
    assert "N9" in _ids(result) and result.notice is None
    held = market.snapshot().indexes.needs
    assert held is not None and held.count == len(NEEDS) + 1
    reverse.reverse(market, reverse.probe(market, outcome_id="O1"), top=10)
    assert market.snapshot().indexes.needs is held  # nothing changed since: the same index, not another rebuild
    renamed = [{**extra[0], "title": "动力电池热失控预警"}]
    data.import_file(market, "needs", write_jsonl(tmp_path / "n9b.jsonl", renamed))
    edited = reverse.reverse(market, reverse.probe(market, text="动力电池热失控预警算法"), top=2)
    assert "N9" in _ids(edited)  # an edited text is searched as it is now


def test_an_expert_without_outcomes_finds_nothing_and_says_why(market: Context) -> None:
    from matcher.records import ExpertRecord

    data.upsert(market, "experts", [ExpertRecord(id="X-new", name="新专家")])
    result = reverse.reverse(market, reverse.probe(market, expert_id="X-new"), target="enterprises")
    assert result.hits == [] and "专家 新专家 暂无成果" in (result.notice or "")

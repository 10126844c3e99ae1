"""Tuning the embedder: pairs (judged, corpus), a stable held-out split, BM25 hard negatives, the held-out MRR, a
training step that learns, and the tuned folder's save / load / refusal rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from sqlalchemy import select

from matcher.errors import ModelMismatchError
from matcher.ingest.importer import valid_records
from matcher.store.tables import Expert
from matcher.text.tokenize import Tokenizer
from matcher.tuning.blend import best_blend, blended_state
from matcher.tuning.pairs import Pair, corpus_pairs, distractors, judged_pairs, split, with_hard_negatives
from matcher.tuning.train import held_out_mrr
from matcher.workspace import data
from matcher.workspace.context import Context
from tests.conftest import write_jsonl

ROWS = [
    {"id": "a", "title": "铸造涂料", "abstract": "", "experts": [{"id": "E1", "name": "周"}]},
    {"id": "b", "title": "锆英粉涂料", "abstract": "抗粘砂", "experts": [{"id": "E1", "name": "周"}]},
    {
        "id": "c",
        "title": "消失模涂料",
        "abstract": "",
        "experts": [{"id": "E1", "name": "周"}, {"id": "E2", "name": "李"}],
    },
    {"id": "d", "title": "电池预警", "abstract": "", "experts": [{"id": "E3", "name": "王"}]},
]


def test_corpus_pairs_are_two_outcomes_of_one_expert_and_title_to_abstract() -> None:
    pairs = corpus_pairs(ROWS, 512, per_expert=2)
    assert [(p.query, p.group) for p in pairs] == [
        ("锆英粉涂料", "expert:E1"),  # (a, b): no years, file order, the later one asks
        ("消失模涂料", "expert:E1"),  # (a, c); (b, c) is beyond per_expert; E2 and E3 have one outcome each
        ("锆英粉涂料", "outcome:b"),
    ]
    assert [p.passage for p in pairs] == ["铸造涂料", "铸造涂料", "锆英粉涂料。抗粘砂"]


def test_the_newer_outcome_of_an_expert_asks_for_the_older() -> None:
    rows = [
        {"id": "n", "title": "新课题", "year": 2016, "experts": [{"id": "E1", "name": "周"}]},
        {"id": "o", "title": "旧课题", "year": 2009, "experts": [{"id": "E1", "name": "周"}]},
    ]
    assert [(p.query, p.passage) for p in corpus_pairs(rows, 512)] == [("新课题", "旧课题")]
    # a row without a year counts as the oldest
    rows = [rows[0], {**rows[1], "year": None}]
    assert [(p.query, p.passage) for p in corpus_pairs(rows, 512)] == [("新课题", "旧课题")]


def test_experts_without_ids_group_as_the_store_keys_them(matcher: Context, tmp_path: Path) -> None:
    # one expert, no id: named with an alias of the institution once, and by the outcome's institution once
    rows = [
        {
            "id": "x1",
            "kind": "paper",
            "title": "焊接机器人",
            "year": 2019,
            "experts": [{"name": "张伟", "institution": "哈工大"}],
        },
        {
            "id": "x2",
            "kind": "paper",
            "title": "激光焊接",
            "year": 2021,
            "institution": "哈尔滨工业大学",
            "experts": ["张伟"],
        },
    ]
    path = write_jsonl(tmp_path / "o.jsonl", rows)
    data.import_file(matcher, "outcomes", path)
    with matcher.session() as s:
        stored = s.scalars(select(Expert.id)).all()
    records, _ = valid_records(path, "outcomes")
    assert [p.group for p in corpus_pairs(records, 512)] == [f"expert:{stored[0]}"] and len(stored) == 1


def test_judged_pairs_keep_relevant_judgements_only() -> None:
    needs = [{"id": "N1", "title": "涂料", "description": "铸件"}]
    pairs = judged_pairs(needs, {r["id"]: r for r in ROWS}, {"N1": {"a": 2, "d": 0, "zz": 3}}, 512)
    assert [(p.group, p.passage) for p in pairs] == [("N1", "铸造涂料")]


def test_the_held_out_split_never_separates_a_group() -> None:
    pairs = [Pair(f"q{i}", f"p{i}", f"g{i % 7}") for i in range(70)]
    train, test = split(pairs, 0.3)
    assert test and train and not {p.group for p in train} & {p.group for p in test}
    assert split(pairs, 0.3) == (train, test)


def test_hard_negative_is_the_bm25_best_passage_of_another_group() -> None:
    pairs = [
        Pair("铸造 涂料", "铸造 涂料 工艺", "g1"),
        Pair("涂料 配方", "铸造 涂料 配方", "g2"),
        Pair("电池", "电池 预警", "g3"),
    ]
    negatives = {p.group: p.negative for p in with_hard_negatives(pairs, Tokenizer(stopwords=None, user_dict=None))}
    assert negatives["g1"] == "铸造 涂料 配方" and negatives["g2"] == "铸造 涂料 工艺"


class Axis:
    """A fake embedder: each text is the unit vector of its first character's slot."""

    slots: ClassVar[dict[str, int]] = {"a": 0, "b": 1, "c": 2}

    def _vec(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 3), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, self.slots[t[0]]] = 1.0
        return out

    encode_queries = encode_documents = _vec


def test_held_out_mrr_ranks_every_held_out_passage() -> None:
    pairs = [Pair("a?", "a-doc", "g1"), Pair("b?", "c-doc", "g2")]  # g2's query points at nobody's passage
    # query a → a-doc first (1/1); query b ties at 0 → stable order [a-doc, c-doc]: c-doc second (1/2)
    assert held_out_mrr(Axis(), pairs) == 0.75  # type: ignore[arg-type]


def test_a_corpus_distractor_can_outrank_the_own_passage() -> None:
    pairs = [Pair("a?", "a-doc", "g1"), Pair("b?", "c-doc", "g2")]
    # query b now meets b-x (cosine 1) before a-doc and c-doc (0, held-out passages first): c-doc third (1/3)
    assert held_out_mrr(Axis(), pairs, ["b-x", "a-doc"]) == round((1 + 1 / 3) / 2, 4)  # type: ignore[arg-type]


def test_a_query_never_finds_its_own_text() -> None:
    # one expert's outcomes a1, a2, c2 (pairs a1→a2 and a2→c2): a2 is a query and a passage of its own group
    pairs = [Pair("a1", "a2", "g"), Pair("a2", "c2", "g"), Pair("b1", "b2", "h")]
    # a1 → a2 (1/1); a2 skips itself and meets b2 and c2 at 0, in order: c2 second (1/2); b1 → b2 (1/1).
    # Were its own text a hit, a2 would score 1/1 and the MRR 1.0
    assert held_out_mrr(Axis(), pairs) == round((1 + 1 / 2 + 1) / 3, 4)  # type: ignore[arg-type]


def test_distractors_leave_out_held_out_queries_and_passages() -> None:
    test = [Pair("铸造涂料", "锆英粉涂料。抗粘砂", "expert:E1")]  # a's title is the query, b's text the passage
    assert sorted(distractors(ROWS, test, 512)) == ["消失模涂料", "电池预警"]
    assert len(distractors(ROWS, test, 512, limit=1)) == 1


def test_a_blend_moves_only_the_tuned_parameters() -> None:
    base = {"w": np.array([0.0, 2.0]), "frozen": np.array([5.0])}
    blended = blended_state(base, {"w": np.array([4.0, 6.0])}, 0.25)
    assert blended["w"].tolist() == [1.0, 3.0] and blended["frozen"].tolist() == [5.0]


class Holder:
    """A fake model: remembers the last state it was given."""

    state: dict[str, float]

    def load_state_dict(self, state: dict[str, float], strict: bool = True) -> None:
        self.state = state


def test_the_best_blend_is_kept_and_a_tie_goes_to_the_smaller_step() -> None:
    model = Holder()
    best, scores = best_blend(model, {"w": 0.0}, {"w": 1.0}, lambda: -((model.state["w"] - 0.5) ** 2))
    assert best == 0.5 and model.state == {"w": 0.5} and scores[1.0] == -0.25
    flat, _ = best_blend(model, {"w": 0.0}, {"w": 1.0}, lambda: 1.0)
    assert flat == 0.25 and model.state == {"w": 0.25}


@pytest.fixture(scope="module")
def e5() -> object:
    pytest.importorskip("torch")
    from matcher.embed.e5_torch import E5TorchEmbedder

    return E5TorchEmbedder(device="cpu")


@pytest.mark.realmodel
def test_a_few_steps_lower_the_loss_and_the_folder_round_trips(e5, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from matcher.embed.e5_torch import E5TorchEmbedder
    from matcher.embed.tuned import save_tuned
    from matcher.tuning.train import TuneParams, Tuner

    pairs = [
        Pair("铸造涂料", "锆英粉铸造涂料", "g1", "锂电池预警"),
        Pair("电池预警", "锂电池热失控预警", "g2", "铸造涂料"),
    ]
    tuner = Tuner(e5, TuneParams(epochs=3, batch_size=2, lr=1e-4, max_tokens=32))
    first = tuner.loss(pairs).item()
    tuner.fit(pairs)
    assert tuner.loss(pairs).item() < first
    e5.model.eval()
    params = save_tuned(
        tmp_path / "t", e5.model, {"kind": "tuned-embedder", "better": True, "base_sha256": e5.base_sha256}, "card"
    )
    again = E5TorchEmbedder(device="cpu", tuned=tmp_path / "t")
    assert again.name == params["name"] != e5.name
    assert np.allclose(again.encode_queries(["铸造涂料"]), e5.encode_queries(["铸造涂料"]), atol=1e-5)


@pytest.mark.realmodel
def test_a_tuning_that_lost_to_the_base_or_a_corrupted_one_is_refused(e5, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from matcher.embed.e5_torch import E5TorchEmbedder
    from matcher.embed.tuned import WEIGHTS, save_tuned

    folder = tmp_path / "t"
    save_tuned(folder, e5.model, {"kind": "tuned-embedder", "better": True, "base_sha256": e5.base_sha256}, "card")
    params = json.loads((folder / "params.json").read_text())
    (folder / "params.json").write_text(json.dumps({**params, "better": False}))
    with pytest.raises(ModelMismatchError, match="did not beat the base"):
        E5TorchEmbedder(device="cpu", tuned=folder)
    (folder / "params.json").write_text(json.dumps(params))
    (folder / WEIGHTS).write_bytes(b"not weights")
    with pytest.raises(ModelMismatchError, match="corrupted"):
        E5TorchEmbedder(device="cpu", tuned=folder)


def test_serve_env_names_the_tuned_folder_only_when_it_won(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher.config import Settings
    from matcher.embed.tuned import serving_line

    monkeypatch.delenv("MATCHER_EMBEDDER", raising=False)
    folder = tmp_path / "t"
    assert serving_line(folder, better=False) == "MATCHER_EMBEDDER=e5\n"
    env = tmp_path / "serve.env"
    env.write_text(serving_line(folder, better=True))
    assert Settings(_env_file=env).embedder == f"e5-torch:{folder.resolve()}"  # type: ignore[call-arg]


TITLES = ["铸造涂料", "锆英粉铸造涂料", "锂电池预警", "电池热失控监测", "水基砂型涂料", "消失模涂料"]
TITLES += ["风电叶片检测", "叶片裂纹超声检测", "玉米秸秆饲料", "秸秆青贮技术", "工业机器人视觉", "焊缝视觉跟踪"]


@pytest.mark.realmodel
def test_tune_embedder_command_keeps_a_blend_only_when_it_beats_the_base(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from matcher.cli import app as cli
    from matcher.tuning.blend import ALPHAS

    rows = [
        {"id": f"o{i}", "kind": "paper", "title": title, "experts": [{"id": f"E{i // 2}", "name": f"专家{i // 2}"}]}
        for i, title in enumerate(TITLES)
    ]
    outcomes = tmp_path / "o.jsonl"
    outcomes.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "tuned"
    args = ["--home", str(tmp_path / "ws"), "tune-embedder", "--outcomes", str(outcomes), "--pairs-from-corpus"]
    result = CliRunner().invoke(cli.app, [*args, "--held-out", "0.5", "--batch-size", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    params = json.loads((out / "params.json").read_text())
    assert params["blend"] in ALPHAS and set(params["blend_mrr"]) == {str(a) for a in ALPHAS}
    assert params["tuned_mrr"] == max(params["blend_mrr"].values())
    assert params["distractors"] == len(TITLES) - 2 * params["test_pairs"]  # every outcome not in a held-out pair
    assert params["better"] == (params["tuned_mrr"] > params["base_mrr"])
    expected = "MATCHER_EMBEDDER=e5-torch:" if params["better"] else "MATCHER_EMBEDDER=e5\n"
    assert (out / "serve.env").read_text().startswith(expected)


def test_tuning_reads_the_rows_import_would_store_and_says_what_it_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from matcher.tuning.service import _records

    path = tmp_path / "o.jsonl"
    rows = [{"id": "a", "title": "铸造涂料（水基）"}, {"id": "b", "title": "   "}]  # b: a blank title, rejected
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert [r["title"] for r in _records(path, "outcomes")] == ["铸造涂料(水基)"]
    assert "1 row(s) skipped" in caplog.text

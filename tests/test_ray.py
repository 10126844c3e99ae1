"""Embedding on a real local Ray cluster (2 CPUs, started by the test): the vectors land in the cache, and the
index built from them equals the index built without Ray."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import NEEDS, OUTCOMES, write_jsonl

pytestmark = pytest.mark.realmodel


def _workspace(tmp_path: Path, name: str) -> Context:
    # fp32: bf16's rounding depends on the batch's shape (similarities moved by up to 1.3e-4 between Ray's
    # batches of 2 and a local batch of 32), so equality to 1e-6 is checked on the path that has it
    settings = Settings(home=tmp_path / name, embed_precision="fp32", _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings)
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(matcher, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    return matcher


def test_an_index_built_through_ray_equals_one_built_without(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from matcher.index.ray_embed import embed_with_ray, uncached_texts

    clustered, alone = _workspace(tmp_path, "ray"), _workspace(tmp_path, "alone")
    parts = (clustered.sessions, clustered.embedder)
    s = clustered.settings
    how = {"spec": s.embedder, "precision": s.embed_precision, "max_chars": s.embed_max_chars}
    assert len(uncached_texts(*parts, how["max_chars"])) == len(OUTCOMES)
    assert embed_with_ray(*parts, "local", **how, actors=2, batch_size=2, num_cpus=2) == len(OUTCOMES)
    assert uncached_texts(*parts, how["max_chars"]) == [] and embed_with_ray(*parts, "local", **how, num_cpus=2) == 0
    data.build_index(clustered)
    data.build_index(alone)
    a, b = clustered.snapshot().indexes.dense, alone.snapshot().indexes.dense
    assert a.hashes_ == b.hashes_
    query = alone.embedder.encode_queries(["铸件表面涂料"])[0]
    pks = sorted(a.hashes_)
    assert np.allclose(a.similarity(query, pks), b.similarity(query, pks), atol=1e-6)


def test_no_cluster_at_the_address_is_a_clear_error() -> None:
    pytest.importorskip("ray")
    from matcher.errors import ConfigError
    from matcher.index.cluster import ray_cluster

    with pytest.raises(ConfigError, match="cannot reach a Ray cluster at 'auto'"), ray_cluster("auto", None):
        pass

"""End-to-end flows on the shared real datasets (skipped with a reason when ../shared/datasets is absent).

They use the fake embedder so they stay fast; the real embedders are covered in test_embedders.py and the
real-embedder figures are produced by `make bench` / the evaluation command.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matcher.config import Settings
from matcher.match import forward
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder

DATASETS = Path(os.environ.get("MATCHER_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
pytestmark = [
    pytest.mark.datasets,
    pytest.mark.skipif(not DATASETS.exists(), reason=f"shared datasets not found at {DATASETS}"),
]


def _matcher(tmp_path: Path) -> Context:
    return open_context(Settings(home=tmp_path / "ws", _env_file=None), embedder=FakeEmbedder())  # type: ignore[call-arg]


def test_bdci_dev_outcome_level(tmp_path: Path) -> None:
    m = _matcher(tmp_path)
    assert data.import_file(m, "outcomes", DATASETS / "bdci2019/dev/outcomes.jsonl").accepted == 3643
    data.import_file(m, "needs", DATASETS / "bdci2019/dev/needs.jsonl")
    data.build_index(m)
    need_id = (DATASETS / "bdci2019/dev/qrels.tsv").read_text(encoding="utf-8").split()[0]
    result = forward.match(m, forward.need_query(m, need_id), level="outcome", top=10)
    assert len(result.hits) == 10 and all(h.components.fused > 0 for h in result.hits)
    assert any(h.matched_terms for h in result.hits)


def test_nsfc_expert_and_institution_levels(tmp_path: Path) -> None:
    m = _matcher(tmp_path)
    data.import_file(m, "outcomes", DATASETS / "nsfc_experts/outcomes.jsonl")
    data.import_file(m, "needs", DATASETS / "nsfc_experts/dev/needs.jsonl")
    data.build_index(m)
    first = (DATASETS / "nsfc_experts/dev/qrels_experts.tsv").read_text(encoding="utf-8").split()[0]
    query = forward.need_query(m, first)
    experts = forward.match(m, query, level="expert", top=10).hits
    institutions = forward.match(m, query, level="institution", top=10).hits
    assert len(experts) == 10 and experts[0].evidence and experts[0].institution
    assert len(institutions) == 10 and institutions[0].n_outcomes >= 1

"""The same store, import and match path on PostgreSQL (a fresh database per test, dropped after)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.config import Settings
from matcher.match import forward
from matcher.workspace import data
from matcher.workspace.context import open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl

pytestmark = pytest.mark.postgres


def test_import_index_and_match_on_postgres(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws", database_url=pg_url, _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings, embedder=FakeEmbedder())
    try:
        path = write_jsonl(tmp_path / "o.jsonl", OUTCOMES)
        assert data.import_file(matcher, "outcomes", path).accepted == 5
        assert data.import_file(matcher, "outcomes", path).accepted == 5  # idempotent upsert
        data.import_file(matcher, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
        data.build_index(matcher)
        stats = data.stats(matcher)
        assert (stats["outcomes"], stats["experts"], stats["institutions"]) == (5, 4, 4)
        hits = forward.match(matcher, forward.need_query(matcher, "N1"), level="institution", top=2).hits
        assert hits[0].name == "沈阳铸造研究所有限公司"
    finally:
        matcher.close()

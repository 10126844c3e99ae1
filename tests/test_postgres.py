"""The same store, import and match path on PostgreSQL (a fresh database per test, dropped after)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.config import Settings
from matcher.workspace.facade import Matcher
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl

pytestmark = pytest.mark.postgres


def test_import_index_and_match_on_postgres(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws", database_url=pg_url, _env_file=None)  # type: ignore[call-arg]
    matcher = Matcher(settings, embedder=FakeEmbedder())
    try:
        path = write_jsonl(tmp_path / "o.jsonl", OUTCOMES)
        assert matcher.import_file("outcomes", path).accepted == 5
        assert matcher.import_file("outcomes", path).accepted == 5  # idempotent upsert
        matcher.import_file("needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
        matcher.build_index()
        stats = matcher.stats()
        assert (stats["outcomes"], stats["experts"], stats["institutions"]) == (5, 4, 4)
        hits = matcher.match(matcher.need_query("N1"), level="institution", top=2).hits
        assert hits[0].name == "沈阳铸造研究所有限公司"
    finally:
        matcher.close()

"""An app over the tiny indexed corpus (fake embedder), on SQLite and on PostgreSQL, with one key per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from matcher.services.users import create_key
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_matcher(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings = Settings(home=tmp_path / "ws", database_url=url, _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings, embedder=FakeEmbedder())
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(matcher, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    data.build_index(matcher)
    yield matcher
    matcher.close()


@pytest.fixture
def keys(api_matcher: Context) -> dict[str, str]:
    with api_matcher.session(write=True) as session:
        return {role: create_key(session, name=f"{role}-user", role=role)[1] for role in ("viewer", "staff", "admin")}


@pytest.fixture
def client(api_matcher: Context, keys: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(api_matcher.settings, matcher=api_matcher), raise_server_exceptions=False) as c:
        yield c


def as_role(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role]}

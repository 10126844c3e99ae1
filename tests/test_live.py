"""Live indexes and several hosts in one process: the change feed, the incremental catch-up, vectors shared through
the database, published snapshots taken by an empty workspace."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from matcher.errors import ArtifactMismatchError
from matcher.match import forward
from matcher.records import OutcomeRecord
from matcher.services.users import create_key
from matcher.store import feed
from matcher.store.tables import Outcome
from matcher.workspace import data, publish
from matcher.workspace.context import Context, open_context
from matcher.workspace.live import LiveStatus, catch_up, indexed_position
from tests.api.conftest import as_role
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl

NEW = {
    "id": "O9",
    "kind": "patent",
    "title": "石墨烯导热膜连续化制备方法",
    "abstract": "石墨烯导热膜用于手机散热，连续卷对卷制备。",
    "year": 2024,
    "institution": "重庆大学",
}


def _ids(ctx: Context, text: str) -> list[str]:
    return [h.id for h in forward.match(ctx, forward.text_query(ctx, text), level="outcome", top=10).hits]


def test_the_feed_records_every_stored_changed_and_deleted_record(matcher: Context, tmp_path: Path) -> None:
    with matcher.session() as session:
        assert feed.position(session) == 0
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES[:2]))
    with matcher.session() as session:
        first = feed.position(session)
        kinds = feed.changed_since(session, 0)
    assert kinds["outcomes"] == 2 and first >= 2  # and the institutions and experts they named
    with matcher.session(write=True) as session:
        session.delete(session.query(Outcome).filter_by(id="O1").one())
    with matcher.session() as session:
        assert feed.changed_since(session, first) == {"outcomes": 1}


def test_catch_up_applies_the_feed_and_builds_only_when_behind(loaded: Context) -> None:
    status = LiveStatus()
    assert catch_up(loaded, status) is False and status.pending == 0  # the fixture's build holds the feed
    data.upsert(loaded, "outcomes", [OutcomeRecord.model_validate(NEW)], strict=False)
    assert "O9" not in _ids(loaded, "石墨烯导热膜")
    assert catch_up(loaded, status) is True and status.builds == 1
    with loaded.session() as session:
        assert indexed_position(loaded) == feed.position(session) == status.indexed
    assert _ids(loaded, "石墨烯导热膜")[0] == "O9"


def test_an_outcome_posted_to_the_server_is_matched_within_ten_seconds(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws", database_url=None, live_index=0.2, _env_file=None)  # type: ignore[call-arg]
    ctx = open_context(settings, embedder=FakeEmbedder())
    data.import_file(ctx, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(ctx, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    data.build_index(ctx)
    with ctx.session(write=True) as session:
        keys = {role: create_key(session, name=role, role=role)[1] for role in ("viewer", "staff")}
    with TestClient(create_app(settings, matcher=ctx)) as client:
        assert client.post("/outcomes", json=NEW, headers=as_role(keys, "staff")).status_code == 201
        posted, found = time.monotonic(), []
        while time.monotonic() - posted < 10 and "O9" not in found:
            time.sleep(0.2)
            answer = client.post("/match", json={"text": "石墨烯导热膜散热", "level": "outcome", "top": 5},
                                 headers=as_role(keys, "viewer"))  # fmt: skip
            found = [h["id"] for h in answer.json()["hits"]]
        assert "O9" in found, "the posted outcome was not matched within 10 s"
        index = client.get("/version").json()["index"]
        assert index["pending"] == 0 and index["builds"] >= 1
        # a file through the 导入 card: the answer says the records are being indexed; /version says when done
        row = {**NEW, "id": "O10", "title": "钠离子电池正极材料", "abstract": "层状氧化物正极，循环稳定。"}
        body = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        uploaded = client.post("/outcomes/bulk?format=jsonl", content=body, headers=as_role(keys, "staff")).json()
        assert uploaded["accepted"] == 1 and "正在加入检索索引" in uploaded["searchable"]
        posted = time.monotonic()
        while time.monotonic() - posted < 10 and client.get("/version").json()["index"]["pending"]:
            time.sleep(0.2)
        assert client.get("/version").json()["index"]["pending"] == 0
        answer = client.post("/match", json={"text": "钠离子电池正极", "level": "outcome", "top": 3},
                             headers=as_role(keys, "viewer"))  # fmt: skip
        assert "O10" in [h["id"] for h in answer.json()["hits"]]
    ctx.close()


def test_vectors_are_shared_through_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a_embedder, b_embedder = FakeEmbedder(), FakeEmbedder()
    a = open_context(Settings(home=tmp_path / "a", database_url=url, shared_vectors=True, _env_file=None),  # type: ignore[call-arg]
                     embedder=a_embedder)  # fmt: skip
    b = open_context(Settings(home=tmp_path / "b", database_url=url, shared_vectors=True, _env_file=None),  # type: ignore[call-arg]
                     embedder=b_embedder)  # fmt: skip
    data.import_file(a, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.build_index(a)
    data.build_index(b)  # b's own index over the same store: every vector read from the database
    assert a_embedder.calls == len(OUTCOMES) and b_embedder.calls == 0
    assert _ids(a, "锆英粉涂料") == _ids(b, "锆英粉涂料")
    a.close()
    b.close()


def test_an_empty_workspace_takes_the_published_snapshot_without_embedding(tmp_path: Path) -> None:
    url, store = f"sqlite:///{tmp_path / 'shared.db'}", tmp_path / "store"
    common = {"database_url": url, "snapshot_store": str(store), "shared_vectors": False, "_env_file": None}
    a = open_context(Settings(home=tmp_path / "a", **common), embedder=FakeEmbedder())  # type: ignore[arg-type]
    data.import_file(a, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.build_index(a)
    manifest = publish.publish(a)
    assert (store / manifest["id"] / "manifest.json").exists() and manifest["count"] == len(OUTCOMES)
    b_embedder = FakeEmbedder()
    b = open_context(Settings(home=tmp_path / "b", **common), embedder=b_embedder)  # type: ignore[arg-type]
    assert publish.pull(b) == manifest["id"] and publish.pull(b) is None  # taken once
    assert indexed_position(b) == manifest["feed"]
    assert _ids(b, "锆英粉涂料") == _ids(a, "锆英粉涂料")
    assert b_embedder.calls == 1  # the query only: no outcome was embedded
    a.close()
    b.close()


def test_a_tampered_snapshot_is_refused(tmp_path: Path) -> None:
    url, store = f"sqlite:///{tmp_path / 'shared.db'}", tmp_path / "store"
    common = {"database_url": url, "snapshot_store": str(store), "_env_file": None}
    a = open_context(Settings(home=tmp_path / "a", **common), embedder=FakeEmbedder())  # type: ignore[arg-type]
    data.import_file(a, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.build_index(a)
    manifest = publish.publish(a)
    victim = next(p for p in (store / manifest["id"] / "index").rglob("*") if p.is_file() and p.suffix != ".json")
    victim.write_bytes(victim.read_bytes() + b"x")
    b = open_context(Settings(home=tmp_path / "b", **common), embedder=FakeEmbedder())  # type: ignore[arg-type]
    with pytest.raises(ArtifactMismatchError, match="校验不符"):
        publish.pull(b)
    assert indexed_position(b) == -1  # nothing half-taken
    a.close()
    b.close()

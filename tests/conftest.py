"""Shared fixtures: a deterministic fake embedder, tiny corpora written inline, workspaces on SQLite and
on a throwaway PostgreSQL database."""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from matcher.workspace import data
from matcher.workspace.context import Context, open_context

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class FakeEmbedder:
    """Bag of character bigrams hashed into 64 dimensions: similar text → similar vectors, no model needed."""

    name = "fake/bigram-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for a, b in itertools.pairwise(text):
            vec[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        return np.vstack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    encode_documents = encode_queries


OUTCOMES = [
    {
        "id": "O1",
        "kind": "patent",
        "title": "复合锆英粉铸造涂料及其制备方法",
        "abstract": "锆英粉涂料提高铸件表面光洁度，减少粘砂。",
        "year": 2021,
        "institution": "沈阳铸造研究所有限公司",
        "experts": [{"id": "E1", "name": "周建国", "institution": "沈阳铸造研究所有限公司"}],
    },
    {
        "id": "O2",
        "kind": "project",
        "title": "水基铸造涂料悬浮稳定性研究",
        "abstract": "水基涂料替代醇基涂料，降低VOCs排放。",
        "year": 2022,
        "institution": "沈铸所",
        "experts": [{"id": "E1", "name": "周建国", "institution": "沈铸所"}],
    },
    {
        "id": "O3",
        "kind": "paper",
        "title": "锂离子电池荷电状态估计方法",
        "abstract": "自适应卡尔曼滤波估计动力电池SOC。",
        "year": 2020,
        "institution": "重庆大学",
        "experts": [{"name": "刘振宇", "institution": "重大"}],
    },
    {
        "id": "O4",
        "kind": "patent",
        "title": "动力电池热失控预警方法",
        "abstract": "融合气体与温度信号提前预警电池热失控。",
        "year": 2023,
        "institution": "上海交通大学",
        "experts": [{"name": "谭明", "institution": "上海交大"}],
    },
    {
        "id": "O5",
        "kind": "achievement",
        "title": "机器人焊接工作站",
        "abstract": "激光焊缝跟踪与离线编程的焊接机器人。",
        "year": 2019,
        "institution": "沈阳新松机器人自动化股份有限公司",
        "experts": [{"name": "曲志刚"}],
    },
]
NEEDS = [
    {
        "id": "N1",
        "title": "机床铸件表面涂料开发",
        "description": "寻求锆英粉涂料技术，提高铸件表面光洁度。",
        "organization": "齐齐哈尔市重型铸造有限责任公司",
        "region": "黑龙江",
    },
    {"id": "N2", "title": "动力电池安全预警", "description": "需要电池热失控预警与SOC估计算法。"},
]


@pytest.fixture(scope="session")
def fake_maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """匹配度 maps for the fake embedder: each key's served score read as its probability (a vote over the most
    a vote can be) — so tests on the fake embedder have a map for every served key (the shipped maps are e5's)."""
    from matcher.config import Settings as Defaults
    from matcher.ranking.calibration import Calibration, LevelMap, served_keys
    from matcher.search.vote import VoteParams

    full = VoteParams.from_settings(Defaults(_env_file=None)).full()  # type: ignore[call-arg]
    keys = {*served_keys(ranker=True, expert_ranker=True), *served_keys(ranker=False, expert_ranker=False),
            *served_keys(ranker=False, expert_ranker=False, reverse=("needs", "enterprises"))}
    maps = {k: LevelMap([0.0, full if k.endswith(":vote") else 1.0], [0.0, 1.0], "tests") for k in keys}
    folder = tmp_path_factory.mktemp("fake-maps")
    Calibration(maps).save(folder, embedder=FakeEmbedder.name, name="fake maps")
    return folder


@pytest.fixture(autouse=True)
def _fake_maps_served(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test but the real-model ones serves `fake_maps` (MATCHER_CALIBRATION), unless it sets its own."""
    if request.node.get_closest_marker("realmodel") is None:
        monkeypatch.setenv("MATCHER_CALIBRATION", str(request.getfixturevalue("fake_maps")))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "ws", database_url=None, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def matcher(settings: Settings, fake_embedder: FakeEmbedder) -> Iterator[Context]:
    m = open_context(settings, embedder=fake_embedder)
    yield m
    m.close()


@pytest.fixture
def loaded(matcher: Context, tmp_path: Path) -> Context:
    """A workspace holding the tiny corpus, indexed."""
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "outcomes.jsonl", OUTCOMES))
    data.import_file(matcher, "needs", write_jsonl(tmp_path / "needs.jsonl", NEEDS))
    data.build_index(matcher)
    return matcher


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards (skips when the server is absent)."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"matcher_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc.orig}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

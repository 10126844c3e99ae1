"""Batch fixtures: the demo corpus indexed once with the fake embedder, copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.config import Settings
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_NEEDS = sum(1 for line in (DEMO / "needs.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())


def open_demo(home: Path) -> Context:
    return open_context(Settings(home=home, model="none", _env_file=None), embedder=FakeEmbedder())  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("batch") / "demo"
    matcher = open_demo(home)
    for kind in ("institutions", "experts", "outcomes", "needs"):
        data.import_file(matcher, kind, DEMO / f"{kind}.jsonl")
    data.build_index(matcher)
    matcher.close()
    return home


@pytest.fixture
def demo_home(demo_template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "demo"
    shutil.copytree(demo_template, home)
    return home


@pytest.fixture
def demo(demo_home: Path) -> Iterator[Context]:
    matcher = open_demo(demo_home)
    yield matcher
    matcher.close()

"""The server loads the embedder, the indexes and the models at start, in the background, before any question;
with no index yet it loads the embedder and waits quietly."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder


def _wait_for_warm_up() -> None:
    for thread in threading.enumerate():
        if thread.name == "warm-up":
            thread.join(timeout=60)


def test_the_server_loads_its_models_before_the_first_question(api_matcher: Context) -> None:
    assert api_matcher.served._snapshot is None  # built, not yet loaded
    with TestClient(create_app(api_matcher.settings, matcher=api_matcher)):
        _wait_for_warm_up()
        snap = api_matcher.snapshot()
        assert api_matcher._embedder is not None and snap.loaded("indexes") and snap.has_indexes
        assert snap.loaded("model:outcome") and snap.loaded("model:calibration")


def test_warm_up_without_an_index_loads_the_embedder_only(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws", database_url=None, _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings, embedder=FakeEmbedder())
    with TestClient(create_app(settings, matcher=matcher)) as client:
        _wait_for_warm_up()
        assert matcher._embedder is not None and not matcher.snapshot().has_indexes
        assert client.get("/health").status_code == 200
    matcher.close()


def test_warm_up_can_be_turned_off(api_matcher: Context) -> None:
    settings = api_matcher.settings.model_copy(update={"warm_up": False})
    with TestClient(create_app(settings, matcher=api_matcher)):
        assert not any(t.name == "warm-up" for t in threading.enumerate())

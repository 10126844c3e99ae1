"""A model change is a transaction: a retrain serves its ranker and 匹配度 maps together as one version or changes
nothing; inverted or poisoned judgements are refused; one change at a time; kill -9 at any instant leaves a loadable
pair; rollback; a torn file falls back to the last good version and health says so."""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from matcher.artifacts import history
from matcher.cli.app import app
from matcher.config import Settings
from matcher.errors import ConflictError, NotFoundError
from matcher.learn.retrain import retrain
from matcher.match import forward
from matcher.ranking.calibration import Calibration
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.services.users import create_key
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder
from tests.model_corpus import judge, judgements, open_small

GRID = [{"objective": "pairwise-linear", "C": 1.0}]  # one configuration: the protocol, not the search, is tested
ROOT = Path(__file__).resolve().parents[1]



@pytest.fixture(autouse=True)
def _maps_from_the_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests serve the maps their retrains make (`auto`), not the suite's fake maps (`conftest.py`)."""
    monkeypatch.delenv("MATCHER_CALIBRATION", raising=False)

@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two workspaces built once: `judged` (the tiny corpus and its judgements, no model version yet) and `v1`
    (the same after a kept retrain)."""
    root = tmp_path_factory.mktemp("bases")
    m = open_small(root / "judged" / "ws")
    judge(m, judgements())
    m.close()
    shutil.copytree(root / "judged", root / "v1")
    m = _open(root / "v1" / "ws")
    assert retrain(m, name="v1", actor="王芳", grid=GRID).kept
    m.close()
    return {"judged": root / "judged" / "ws", "v1": root / "v1" / "ws"}


def _open(home: Path) -> Context:
    return open_context(Settings(home=home, database_url=None, _env_file=None), embedder=FakeEmbedder())  # type: ignore[call-arg]


@pytest.fixture
def v1(bases: dict[str, Path], tmp_path: Path) -> Iterator[Context]:
    shutil.copytree(bases["v1"], tmp_path / "ws")
    m = _open(tmp_path / "ws")
    yield m
    m.close()


def _models(m: Context) -> Path:
    return m.settings.workspace().models_dir


def _top(m: Context, need: str = "N0") -> list[tuple[str, int]]:
    found = forward.match(m, forward.need_query(m, need), level="outcome", top=5)
    return [(h.id, None if h.degree is None else round(h.degree * 100)) for h in found.hits]


def test_a_kept_retrain_serves_ranker_and_maps_of_one_version(v1: Context) -> None:
    models = _models(v1)
    version = history.pointed(models)
    assert version and (models / "history" / version / "version.json").exists()
    assert v1.served.slots["outcome"].folder() == models / "history" / version / "ranker"
    assert v1.served.slots["calibration"].folder() == models / "history" / version / "calibration"
    ranker = v1.snapshot().ranker
    assert ranker is not None and ranker.name == "v1"
    guard = (models / "history" / version / "guard.qrels").read_text(encoding="utf-8").splitlines()
    assert len(guard) == 30 and "N0 0 O02 3" in guard  # 6 needs × 5 judged pairs, the accepted judgements
    [attempt] = history.attempts(models)
    assert (attempt["kept"], attempt["status"], attempt["actor"], attempt["version"]) == (True, "kept", "王芳", version)
    assert attempt["new"] > attempt["served"] and attempt["agreement"]["disagree"]["bm25"] == 0


def test_inverted_judgements_are_refused_the_answer_unchanged_and_the_attempt_recorded(v1: Context) -> None:
    before, version = _top(v1), history.pointed(_models(v1))
    judge(v1, judgements(inverted=True))
    result = retrain(v1, name="bad", actor="王芳", grid=GRID)
    # 24 = per need, the one 0-graded outcome against the four graded 3; the keyword scores tie inside a topic,
    # so only the two other topics' outcomes (2 per need) are ordered against the grades
    assert (result.kept, result.status) == (False, "refused")
    assert "疑似评分颠倒" in result.reason and "24 组" in result.reason and "12 组与关键词检索" in result.reason
    assert history.pointed(_models(v1)) == version and _top(v1) == before
    last = history.attempts(_models(v1))[-1]
    assert (last["kept"], last["status"], last["reason"]) == (False, "refused", result.reason)
    assert last["agreement"]["tau"]["bm25"] == -1.0


def test_the_guard_set_refuses_poison_the_retrieval_check_cannot_see(v1: Context) -> None:
    """Grades moved from the newest outcome of each topic to the oldest: retrieval cannot tell them apart, so the
    agreement check passes and the new ranker wins on the folds of the poisoned judgements; on the judgements v1
    was accepted on it ranks worse, and is refused."""
    version = history.pointed(_models(v1))
    poisoned = {need: {o: (3 if o.endswith("0") and o[1] == need[1] else 0) for o in judged}
                for need, judged in judgements().items()}  # fmt: skip
    judge(v1, poisoned)
    result = retrain(v1, name="poisoned", grid=GRID)
    assert (result.kept, result.status) == (False, "refused"), result
    assert result.figures["agreement"]["tau"]["bm25"] > 0 and result.new is not None and result.new > result.served
    guard = result.figures["guard"]
    assert guard["pairs"] == 30 and guard["served"] == 1.0 and guard["new"] < guard["served"] - 0.01
    assert "变差" in result.reason and history.pointed(_models(v1)) == version


def _hold_lock(models: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time; from pathlib import Path; from matcher.artifacts import history\n"
        f"with history.change_lock(Path({str(models)!r})):\n    print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_one_model_change_at_a_time_across_processes_and_threads(v1: Context) -> None:
    models = _models(v1)
    holder = _hold_lock(models)
    try:
        with pytest.raises(ConflictError, match="正在进行"):
            retrain(v1, name="second", grid=GRID)
        with pytest.raises(ConflictError, match="正在进行"):
            history.rollback(models)
    finally:
        holder.kill()
        holder.wait()
    # two threads at once: one runs, the other is told at once
    outcomes: list[str] = []
    started = threading.Barrier(2)

    def run() -> None:
        started.wait()
        try:
            outcomes.append(retrain(v1, name="t", grid=GRID).status)
        except ConflictError:
            outcomes.append("busy")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["busy", "not-better"]


def _consistent(models: Path) -> str | None:
    """The served version's ranker and maps both load (None: no version yet); no half-written pointer."""
    version = history.served(models)
    if version is None:
        assert history.pointed(models) is None
        return None
    assert version.fell_back_from is None
    OUTCOME_RANKER.load(version.folder / "ranker")
    Calibration.load(version.folder / "calibration")
    return version.id


def test_kill_9_during_a_retrain_leaves_a_consistent_loadable_pair(bases: dict[str, Path], tmp_path: Path) -> None:
    home = tmp_path / "ws"
    shutil.copytree(bases["judged"], home)
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, '.')\n"
        "from tests.test_model_history import _open, GRID; from matcher.learn.retrain import retrain\n"
        f"m = _open(Path({str(home)!r})); retrain(m, name='killed', grid=GRID)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    staging = home / "models" / "history"
    deadline = time.monotonic() + 300
    while not list(staging.glob(".staging-*/ranker")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(staging.glob(".staging-*/ranker")) and proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)  # mid-retrain: its ranker staged, the maps being fitted
    assert proc.wait() == -signal.SIGKILL
    models = home / "models"
    assert _consistent(models) is None  # nothing served from the killed attempt
    m = _open(home)
    try:
        assert len(_top(m)) == 5  # the workspace answers
        assert retrain(m, name="after", grid=GRID).kept  # the lock died with the process
        assert not list(staging.glob(".staging-*"))  # its leftovers cleaned
        assert _consistent(models) == history.pointed(models)
    finally:
        m.close()


def test_kill_9_at_any_instant_of_a_swap_leaves_a_consistent_pair(v1: Context) -> None:
    """A process swapping versions in a loop, killed at random instants: each time the served pair loads."""
    models = _models(v1)
    script = (
        "from pathlib import Path; from matcher.artifacts import history\n"
        f"models = Path({str(models)!r})\n"
        "while True:\n    history.adopt(models, {}, {'source': 'loop'})\n"
    )
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(rng.uniform(0.3, 1.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _consistent(models) is not None
    assert len(history.versions(models)) > 1  # the loop did swap


def test_rollback_by_default_to_the_version_replaced_or_to_a_named_one(v1: Context) -> None:
    models = _models(v1)
    first = history.pointed(models)
    assert first is not None
    second = history.adopt(models, {}, {"source": "测试"})
    assert second and history.pointed(models) == second
    assert history.rollback(models, actor="王芳") == first and v1.served.slots["outcome"].folder().parent.name == first
    assert history.rollback(models, second) == second
    with pytest.raises(NotFoundError, match="找不到模型版本"):
        history.rollback(models, "20990101T000000-dead")
    runner, home = CliRunner(), str(v1.settings.home)
    listed = runner.invoke(app, ["--home", home, "models", "history"])
    assert listed.exit_code == 0 and first in listed.output and second in listed.output
    back = runner.invoke(app, ["--home", home, "models", "rollback", first])
    assert back.exit_code == 0 and history.pointed(models) == first
    bad = runner.invoke(app, ["--home", home, "models", "rollback", "nope"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    statuses = [(a["action"], a["status"]) for a in history.attempts(models)]
    assert statuses == [("retrain", "kept"), *[("rollback", s) for s in ("rolled-back", "rolled-back", "failed",
                                                                         "rolled-back", "failed")]]  # fmt: skip


def test_a_torn_calibration_falls_back_to_the_last_good_version_and_health_says_so(
    v1: Context, caplog: pytest.LogCaptureFixture
) -> None:
    models = _models(v1)
    first = history.pointed(models)
    second = history.adopt(models, {}, {"source": "测试"})
    assert second
    calibration = models / "history" / second / "calibration" / "calibration.json"
    calibration.write_text(calibration.read_text(encoding="utf-8")[:100], encoding="utf-8")  # a torn write
    with caplog.at_level(logging.WARNING):
        served = history.served(models)
    assert served is not None and (served.id, served.fell_back_from) == (first, second)
    assert "damaged" in caplog.text
    assert len(_top(v1)) == 5  # matching goes on, on the last good pair
    with v1.session(write=True) as session:
        key = create_key(session, name="a", role="admin")[1]
    with TestClient(create_app(v1.settings, matcher=v1), raise_server_exceptions=False) as client:
        health = client.get("/health").json()
        assert health["status"] == "degraded" and second in health["problems"][0]
        model = client.get("/version").json()["model"]
        assert (model["id"], model["fell_back_from"]) == (first, second)
        listed = client.get("/models/history", headers={"X-API-Key": key}).json()
        assert listed["served"] == first and listed["fell_back_from"] == second
        assert client.post("/models/rollback", json={"version": second}, headers={"X-API-Key": key}).status_code == 409
        matched = client.get("/needs/N0/matches", params={"level": "outcome"}, headers={"X-API-Key": key})
        assert matched.status_code == 200, matched.text


def test_a_torn_loose_calibration_falls_back_to_the_shipped_one(
    tmp_path: Path, bases: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Without a history: the workspace's own maps torn → the shipped maps, logged, health degraded."""
    shutil.copytree(bases["judged"], tmp_path / "ws")
    m = _open(tmp_path / "ws")
    try:
        folder = _models(m) / "calibration"
        Calibration().save(folder, embedder="fake/bigram-64", name="loose")
        (folder / "calibration.json").write_text("{", encoding="utf-8")
        with caplog.at_level(logging.WARNING):
            assert m.snapshot().calibration.levels == {}  # the shipped maps, made for another embedder: none used
            problems = m.served.problems()
        assert problems == ["匹配度校准文件已损坏，暂用随系统提供的匹配度校准；请管理员回退或重新训练"]
        assert "is damaged" in caplog.text and len(_top(m)) == 5
    finally:
        m.close()


def test_the_retrain_route_audits_a_refusal_and_answers_409_while_a_change_runs(v1: Context) -> None:
    from sqlalchemy import select

    from matcher.store.tables import AuditEntry

    with v1.session(write=True) as session:
        admin = {"X-API-Key": create_key(session, name="管理员", role="admin")[1]}
    judge(v1, judgements(inverted=True))
    version = history.pointed(_models(v1))
    with TestClient(create_app(v1.settings, matcher=v1), raise_server_exceptions=False) as client:
        holder = _hold_lock(_models(v1))
        try:
            busy = client.post("/judgements/retrain", headers=admin)
        finally:
            holder.kill()
            holder.wait()
        assert busy.status_code == 409 and "正在进行" in busy.json()["detail"]
        refused = client.post("/judgements/retrain", headers=admin)
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert (body["kept"], body["status"], body["version"]) == (False, "refused", None)
    assert "疑似评分颠倒" in body["message"] and history.pointed(_models(v1)) == version
    with v1.session() as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "retrain").order_by(AuditEntry.pk)))
    assert [(r.actor, r.detail["status"]) for r in rows] == [("管理员", "failed"), ("管理员", "refused")]
    assert rows[1].detail["agreement"]["disagree"]["bm25"] == 12


def test_the_only_version_damaged_is_reported_and_matching_goes_on_without_it(v1: Context) -> None:
    models = _models(v1)
    version = history.pointed(models)
    ranker = models / "history" / str(version) / "ranker" / "ranker.skops"
    ranker.write_bytes(ranker.read_bytes()[:50])
    assert history.served(models) is None  # no earlier version: the loose or shipped models serve
    assert v1.served.problems() == [f"模型版本 {version} 已损坏，也没有完好的早先版本；请管理员重新训练"]
    assert len(_top(v1)) == 5


def test_version_ids_sort_in_the_order_they_were_made_within_one_second() -> None:
    from datetime import UTC, datetime

    early = datetime(2026, 12, 6, 19, 30, 0, 1_000, tzinfo=UTC)
    late = datetime(2026, 12, 6, 19, 30, 0, 2_000, tzinfo=UTC)
    assert history.new_id(early) == "20261206T193000-0041" and history.new_id(late) == "20261206T193000-0083"
    assert sorted([history.new_id(late), history.new_id(early)]) == [history.new_id(early), history.new_id(late)]

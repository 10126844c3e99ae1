"""Judgements: stored (latest wins, skips kept apart), read with feedback, exported and imported as qrels without
change, never offered again, and retraining kept only when it beats what is served."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from matcher.artifacts import history
from matcher.bundled import demo_dir
from matcher.cli.app import app
from matcher.config import Settings
from matcher.errors import ConflictError, InputError, NotFoundError
from matcher.label.pool import propose
from matcher.learn.retrain import retrain
from matcher.match import forward
from matcher.ranking.qrels import read_qrels
from matcher.services import judgements as svc
from matcher.services.feedback import record_feedback
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Context]:
    """The demo corpus (406 outcomes, 124 needs) indexed with the fake embedder; no ranker served (the bundled one
    was trained with another embedder) until the workspace trains its own."""
    settings = Settings(home=tmp_path / "ws", database_url=None, _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings, embedder=FakeEmbedder())
    for kind in ("outcomes", "needs"):
        data.import_file(matcher, kind, demo_dir() / f"{kind}.jsonl")
    data.build_index(matcher)
    yield matcher
    matcher.close()


def _judge(m: Context, need: str, target: str, grade: int | None) -> None:
    with m.session(write=True) as session:
        svc.record_judgement(session, need_id=need, level="outcome", target_id=target, grade=grade, actor="王芳")


def test_a_pair_keeps_its_latest_grade_and_skips_are_not_judgements(demo: Context) -> None:
    _judge(demo, "DEMO-N001", "DEMO-m001", 2)
    _judge(demo, "DEMO-N001", "DEMO-m001", 3)
    _judge(demo, "DEMO-N001", "DEMO-m002", None)
    with demo.session() as session:
        assert svc.judgement_qrels(session) == {"DEMO-N001": {"DEMO-m001": 3}}
        assert svc.decided_pairs(session) == {("DEMO-N001", "DEMO-m001"), ("DEMO-N001", "DEMO-m002")}
        counts = svc.judgement_counts(session)
    assert (counts["judged"], counts["skipped"], counts["by_grade"]) == (1, 1, {"非常相关": 1})
    with demo.session(write=True) as session, pytest.raises(InputError, match="0–3"):
        svc.record_judgement(session, need_id="DEMO-N001", level="outcome", target_id="DEMO-m001", grade=4, actor="x")
    with demo.session(write=True) as session, pytest.raises(NotFoundError):
        svc.record_judgement(session, need_id="DEMO-N001", level="outcome", target_id="nope", grade=1, actor="x")


def test_feedback_counts_as_judgements_and_a_judgement_wins(demo: Context) -> None:
    with demo.session(write=True) as session:
        record_feedback(session, need_id="DEMO-N002", level="outcome", target_id="DEMO-m010", stage="signed",
                        reason=None, actor="t")  # fmt: skip
        record_feedback(session, need_id="DEMO-N002", level="outcome", target_id="DEMO-m011", stage="rejected",
                        reason="方向不符", actor="t")  # fmt: skip
    _judge(demo, "DEMO-N002", "DEMO-m010", 1)
    with demo.session() as session:
        assert svc.training_qrels(session) == {"DEMO-N002": {"DEMO-m010": 1, "DEMO-m011": 0}}
        assert ("DEMO-N002", "DEMO-m011") in svc.decided_pairs(session)


def test_qrels_round_trip_through_the_cli(demo: Context, tmp_path: Path) -> None:
    runner, home = CliRunner(), str(demo.settings.home)
    source = demo_dir() / "qrels.tsv"
    done = runner.invoke(app, ["--home", home, "judgements", "import", str(source), "--who", "李明"])
    assert done.exit_code == 0, done.output
    assert "added 335, changed 0, unknown need or target 0" in done.output
    again = runner.invoke(app, ["--home", home, "judgements", "import", str(source)])
    assert "added 0, changed 0" in again.output  # re-import changes nothing
    out = tmp_path / "out.qrels"
    assert runner.invoke(app, ["--home", home, "judgements", "export", "--out", str(out)]).exit_code == 0
    assert read_qrels(out) == read_qrels(source)


def test_proposals_spread_over_needs_and_never_repeat_a_decided_pair(demo: Context) -> None:
    first = propose(demo, count=10)
    assert len(first) == 10 and len({p.need_id for p in first}) >= 5
    assert all(p.title and 0 <= p.degree <= 100 for p in first)
    for p in first[:3]:
        _judge(demo, p.need_id, p.target_id, 2)
    _judge(demo, first[3].need_id, first[3].target_id, None)  # skipped
    gone = {(p.need_id, p.target_id) for p in first[:4]}
    later = propose(demo, count=30)
    assert not gone & {(p.need_id, p.target_id) for p in later}
    assert len({(p.need_id, p.target_id) for p in later}) == len(later)


def test_from_the_top_a_need_is_judged_down_its_list_until_a_relevant_grade_or_k(demo: Context) -> None:
    from matcher.label.candidates import need_candidates
    from matcher.label.top import UNSURE_DEPTH, K
    from matcher.store.tables import Need

    with demo.sessions() as session:
        first, second, third = session.scalars(select(Need).order_by(Need.pk).limit(3)).all()
    fused = {n.id: [c.target for c in need_candidates(demo, n, depth=UNSURE_DEPTH)] for n in (first, second)}
    picks = propose(demo, count=K + 1, strategy="top")
    # no judgement yet: every arm is worth 1/2, so the fused list (the first arm) gives the first need's top K, then
    # the second need's first
    expected = [(first.id, t) for t in fused[first.id][:K]] + [(second.id, fused[second.id][0])]
    assert [(p.need_id, p.target_id) for p in picks] == expected
    _judge(demo, first.id, fused[first.id][0], 2)  # 相关 at once: the first need stops
    assert first.id not in {p.need_id for p in propose(demo, count=K + 1, strategy="top")}
    for target in fused[second.id][:K]:
        _judge(demo, second.id, target, 0)  # K misses: the second need stops too
    later = propose(demo, count=1, strategy="top")
    assert [p.need_id for p in later] == [third.id]


def test_retraining_is_kept_only_when_it_beats_what_is_served(demo: Context) -> None:
    models = demo.settings.workspace().models_dir
    with pytest.raises(ConflictError, match="判断还不够"):
        retrain(demo, name="r")
    with demo.session(write=True) as session:
        svc.import_judgements(session, read_qrels(demo_dir() / "qrels.tsv"), level="outcome", actor="t", source="q")
    first = retrain(demo, name="r")
    assert first.kept and first.served_by == "融合检索" and first.new and first.served and first.new > first.served
    served = models / "history" / str(first.version)
    assert "335 pairs" in (served / "ranker" / "card.md").read_text(encoding="utf-8")
    assert (served / "calibration" / "calibration.json").exists()
    # the real demo judgements run with retrieval: both taus positive (inverted, they are refused: test_model_history)
    assert all(t > 0.2 for t in first.figures["agreement"]["tau"].values())
    # now the served ranker is the one fitted on every judgement: scoring those folds it saw, a model fitted
    # without each fold cannot beat it, and the active model stays as it is
    second = retrain(demo, name="r2")
    assert not second.kept and second.served_by.startswith("当前排序模型") and second.new <= second.served
    assert history.pointed(models) == first.version and len(history.versions(models)) == 1


def test_the_demo_judgements_inverted_are_refused_and_nothing_changes(demo: Context) -> None:
    inverted = {n: {o: 3 - g for o, g in judged.items()} for n, judged in read_qrels(demo_dir() / "qrels.tsv").items()}
    with demo.session(write=True) as session:
        svc.import_judgements(session, inverted, level="outcome", actor="t", source="q")
    query = forward.need_query(demo, "DEMO-N001")
    before = [(h.id, h.degree) for h in forward.match(demo, query, level="outcome", top=5).hits]
    result = retrain(demo, name="inverted", actor="王芳")
    assert (result.kept, result.status, result.new) == (False, "refused", None)  # refused before any fit
    agreement = result.figures["agreement"]
    assert f"{agreement['compared']} 组" in result.reason and "疑似评分颠倒" in result.reason
    assert all(t < -0.2 for t in agreement["tau"].values())
    models = demo.settings.workspace().models_dir
    assert history.pointed(models) is None and not (models / "active").exists()
    after = [(h.id, h.degree) for h in forward.match(demo, query, level="outcome", top=5).hits]
    assert after == before
    [attempt] = history.attempts(models)
    assert (attempt["status"], attempt["actor"], attempt["reason"]) == ("refused", "王芳", result.reason)


def test_an_import_rejects_grades_outside_0_to_3_instead_of_clamping_them(demo: Context, tmp_path: Path) -> None:
    _judge(demo, "DEMO-N001", "DEMO-m001", 3)
    source = tmp_path / "bad.qrels"
    source.write_text("DEMO-N001 0 DEMO-m001 -1\nDEMO-N001 0 DEMO-m002 4\nDEMO-N001 0 DEMO-m003 2\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["--home", str(demo.settings.home), "judgements", "import", str(source)])
    assert done.exit_code == 0, done.output
    assert "added 1, changed 0, unknown need or target 0, rejected 2" in done.output
    assert "评分 -1 不在 0–3 之内" in done.output and "评分 4 不在 0–3 之内" in done.output
    with demo.session() as session:
        assert svc.judgement_qrels(session) == {"DEMO-N001": {"DEMO-m001": 3, "DEMO-m003": 2}}  # the 3 kept

"""`matcher evaluate` end to end on the tiny corpus (fake embedder): TREC run files, both nDCG conventions, and the
expert ranker trained on one split and scored on another."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evaluation.evaluate
from matcher.cli import app as cli
from matcher.workspace.scratch import scratch_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setattr(
        evaluation.evaluate, "scratch_context", functools.partial(scratch_context, embedder=FakeEmbedder())
    )
    (tmp_path / "q_outcomes.tsv").write_text("N1 0 O1 3\nN1 0 O2 1\nN2 0 O4 3\nN2 0 O3 2\n", encoding="utf-8")
    (tmp_path / "q_experts.tsv").write_text("N1 0 E1 1\nN2 0 E1 1\n", encoding="utf-8")
    return {
        "needs": write_jsonl(tmp_path / "n.jsonl", NEEDS),
        "outcomes": write_jsonl(tmp_path / "o.jsonl", OUTCOMES),
        "q_outcomes": tmp_path / "q_outcomes.tsv",
        "q_experts": tmp_path / "q_experts.tsv",
    }


def _evaluate(tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli.app, ["--home", str(tmp_path / "ws"), "evaluate", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_run_files_and_both_ndcg_conventions(files: dict[str, Path], tmp_path: Path) -> None:
    args = ["--needs", str(files["needs"]), "--outcomes", str(files["outcomes"]), "--qrels", str(files["q_outcomes"])]
    _evaluate(
        tmp_path,
        *args,
        "--ranker",
        "none",
        "--run-out",
        str(tmp_path / "runs"),
        "--metrics-out",
        str(tmp_path / "m.json"),
        "--out",
        str(tmp_path / "report"),
    )
    assert any((tmp_path / "ws").rglob("*.sqlite")), "--home reaches the plugin: its embedding cache is the workspace's"
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "匹配质量评估报告 · 成果级" in page and "服务中的匹配度校准：成果（融合检索）" in page
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["bm25.run", "dense.run", "hybrid.run"]
    lines = (tmp_path / "runs" / "bm25.run").read_text(encoding="utf-8").splitlines()
    fields = lines[0].split()
    assert len(fields) == 6 and fields[1] == "Q0" and fields[3] == "1" and fields[5] == "bm25"
    assert {line.split()[0] for line in lines} == {"N1", "N2"}
    brief = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert {"ndcg@10", "ndcg_burges@10"} <= set(brief["systems"]["bm25"])
    assert brief["embedder"] == "fake/bigram-64"  # the conftest's fake embedder
    # the served 匹配度 (fused: the shipped ranker is e5's) over every hit of both needs (the judgements list only
    # relevant outcomes, so the others count as not relevant): 5 each, 3 relevant (grade ≥ 2 of 0–3)
    served = brief["calibration"]["outcome:fused"]
    assert (served["pairs"], served["relevant"], served["queries"]) == (10, 3, 2)
    assert 0 < served["served_ece"] < 1  # as served: the fused score clipped (no shipped map for this embedder)


def test_expert_ranker_trained_on_one_split_scores_another(files: dict[str, Path], tmp_path: Path) -> None:
    split = ["--needs", str(files["needs"]), "--outcomes", str(files["outcomes"]), "--qrels", str(files["q_experts"])]
    train = [
        "--train-needs",
        str(files["needs"]),
        "--train-outcomes",
        str(files["outcomes"]),
        "--train-qrels",
        str(files["q_experts"]),
    ]
    output = _evaluate(tmp_path, *split, "--level", "expert", *train, "--run-out", str(tmp_path / "runs"))
    assert "expert ranker trained on n.jsonl" in output
    run = (tmp_path / "runs" / "ranker.run").read_text(encoding="utf-8").splitlines()
    assert {line.split()[0] for line in run} == {"N1", "N2"} and all(line.endswith(" ranker") for line in run)


def test_invert_turns_need_judgements_into_outcome_queries() -> None:
    from matcher.learn.calibrate import invert

    qrels = {"N1": {"O1": 3, "O2": 0}, "N2": {"O1": 1, "O3": 2}}
    assert invert(qrels) == {"O1": {"N1": 3, "N2": 1}, "O3": {"N2": 2}}  # O2 has no relevant need


def test_reverse_direction_ranks_every_need_for_each_judged_outcome(files: dict[str, Path], tmp_path: Path) -> None:
    args = ["--needs", str(files["needs"]), "--outcomes", str(files["outcomes"]), "--qrels", str(files["q_outcomes"])]
    output = _evaluate(
        tmp_path, *args, "--direction", "outcome", "--ranker", "none", "--run-out", str(tmp_path / "runs")
    )
    assert "outcome → needs (4 outcomes)" in output
    run = (tmp_path / "runs" / "hybrid.run").read_text(encoding="utf-8").splitlines()
    top = {line.split()[0]: line.split()[2] for line in run if line.split()[3] == "1"}
    assert top == {"O1": "N1", "O2": "N1", "O3": "N2", "O4": "N2"}  # each outcome's own need first


def test_reverse_direction_for_experts_combines_their_outcomes(files: dict[str, Path], tmp_path: Path) -> None:
    args = ["--needs", str(files["needs"]), "--outcomes", str(files["outcomes"]), "--qrels", str(files["q_experts"])]
    out = _evaluate(tmp_path, *args, "--direction", "outcome", "--level", "expert", "--run-out", str(tmp_path / "r"))
    assert "expert → needs (1 experts)" in out
    run = [line.split() for line in (tmp_path / "r" / "hybrid.run").read_text(encoding="utf-8").splitlines()]
    assert [(r[0], r[2], r[3]) for r in run][:1] == [("E1", "N1", "1")]  # E1's coating outcomes serve N1 first


def test_labelled_records_count_the_rows_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from evaluation.topics import read_labelled

    path = tmp_path / "labelled.csv"
    path.write_text(
        "id,title,year,field\n"
        "p1,锂电池热失控预警,2020,电气\n"
        "p2,铸造涂料,2019,\n"  # no label: left out of the topics
        "p3,电池管理,not-a-year,电气\n",  # rejected, as `matcher import` rejects it
        encoding="utf-8",
    )
    rows, labels, left_out = read_labelled(path)
    assert ([r["id"] for r in rows], labels) == (["p1"], ["电气"])
    assert left_out == {"rejected": 1, "unlabelled": 1}
    assert "1 row(s) rejected" in caplog.text and "1 without a 'field' label" in caplog.text

"""Pairings and visit/delegation plans on hand-built match tables (aggregation and agendas hand-computed), and
end to end on the tiny corpus: conflicts never paired, exports readable, bad input one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.cli import app as cli
from matcher.cli.state import State
from matcher.plan.matches import Candidate, NeedMatches
from matcher.plan.pairings import all_pairs, top_per
from matcher.plan.visits import make_plan
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl


def _c(fid: str, degree: float, region: str = "黑龙江") -> Candidate:
    return Candidate(fid, f"单位{fid}", region, f"单位{fid}", degree, [f"专家{fid}"], [f"成果{fid}"], [])


TABLE = [  # 匹配度, 0–100
    NeedMatches("N1", "涂料", "甲公司", "黑龙江", [_c("I1", 80.0), _c("I2", 50.0, "辽宁")]),
    NeedMatches("N2", "粘砂", "甲公司", "黑龙江", [_c("I1", 60.0)]),
    NeedMatches("N3", "电池", "乙公司", "重庆", [_c("I2", 90.0, "辽宁"), _c("I1", 10.0)]),
]


def test_pairs_sum_the_probabilities_of_the_needs_an_institution_covers() -> None:
    pairs = all_pairs(TABLE)
    assert [(p.enterprise, p.institution_id, p.score) for p in pairs] == [
        ("甲公司", "I1", 1.4),
        ("乙公司", "I2", 0.9),
        ("甲公司", "I2", 0.5),
        ("乙公司", "I1", 0.1),
    ]
    assert [(n.id, n.degree) for n in pairs[0].needs] == [("N1", 80.0), ("N2", 60.0)]
    assert {k: [p.institution_id for p in v] for k, v in top_per(pairs, "enterprise", 1).items()} == {
        "甲公司": ["I1"],
        "乙公司": ["I2"],
    }
    assert {k: [p.enterprise for p in v] for k, v in top_per(pairs, "institution", 1).items()} == {
        "单位I1": ["甲公司"],
        "单位I2": ["乙公司"],
    }
    assert {p.institution_id for p in all_pairs(TABLE, institution_region="辽宁")} == {"I2"}


def test_a_visit_plan_beats_greedy_and_lists_each_stops_agenda() -> None:
    # X serves all four needs at 匹配度 55; A and B each serve two needs fully
    table = [
        NeedMatches(f"N{i}", f"需求{i}", "甲公司", "黑龙江", [_c("X", 55.0), _c("AB"[i // 2], 100.0)]) for i in range(4)
    ]
    plan = make_plan(table, kind="visit", k=2)
    assert plan.value == 4.0 and plan.greedy_value == pytest.approx(3.1) and plan.optimal
    assert sorted(s.id for s in plan.stops) == ["A", "B"] and plan.served == 4 and plan.unserved == []
    stop_a = next(s for s in plan.stops if s.id == "A")
    assert [(a.need_id, a.degree) for a in stop_a.agenda] == [("N0", 100.0), ("N1", 100.0)]
    assert stop_a.experts == ["专家A"]


def test_a_delegation_respects_the_per_expert_limit() -> None:
    plan = make_plan(TABLE, kind="delegation", k=1, capacity=1)
    assert [s.id for s in plan.stops] == ["I2"] and plan.value == 0.9 and plan.served == 1
    assert sorted(plan.unserved) == ["N1", "N2"]


runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake = FakeEmbedder()
    monkeypatch.setattr(State, "opener", lambda s: open_context(s, embedder=fake))
    home = tmp_path / "ws"
    needs = [*NEEDS, {"id": "N3", "title": "铸造涂料国产化", "description": "锆英粉涂料。", "organization": "沈铸所"}]
    for kind, rows in (("outcomes", OUTCOMES), ("needs", needs)):
        runner.invoke(
            cli.app, ["--home", str(home), "import", kind, str(write_jsonl(tmp_path / f"{kind}.jsonl", rows))]
        )
    assert runner.invoke(cli.app, ["--home", str(home), "index", "build"]).exit_code == 0
    return home


def _run(home: Path, *args: str) -> str:
    result = runner.invoke(cli.app, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_pairings_never_pair_an_enterprise_with_itself(home: Path) -> None:
    pairs = json.loads(_run(home, "pairings", "--format", "json", "--top", "10"))
    firms = {(p["enterprise"], p["institution"]) for p in pairs}
    assert ("齐齐哈尔市重型铸造有限责任公司", "沈阳铸造研究所有限公司") in firms
    assert not any(p["institution"] == "沈阳铸造研究所有限公司" for p in pairs if p["enterprise"] == "沈铸所")


def test_visit_plan_workbook_and_bad_input(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.xlsx"
    _run(
        home,
        "plan",
        "visit",
        "--enterprises",
        "齐齐哈尔市重型铸造有限责任公司",
        "--stops",
        "1",
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    sheet = load_workbook(out)["议程"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["站序", "对接单位/专家", "所在单位"] and sheet.cell(2, 5).value == "N1"
    assert "needs --out" in _error(home, "plan", "visit", "--region", "黑龙江", "--stops", "1", "--format", "xlsx")
    assert "需要 50 个，但能服务这些需求的候选只有" in _error(
        home, "plan", "visit", "--region", "黑龙江", "--stops", "50"
    )
    assert "这些企业没有进行中的需求：不存在公司" in _error(
        home, "plan", "visit", "--enterprises", "不存在公司", "--stops", "1"
    )
    assert "地区不能为空" in _error(home, "pairings", "--region", " ")


def _error(home: Path, *args: str) -> str:
    """The library error a command raises (`matcher.cli.app.main` prints it as one red line, exit code 1 or 2)."""
    result = runner.invoke(cli.app, ["--home", str(home), *args])
    assert result.exit_code != 0 and result.exception is not None
    return str(result.exception)


def test_plans_are_stored_and_read_back(home: Path) -> None:
    made = json.loads(_run(home, "plan", "delegation", "--region", "黑龙江", "--experts", "1", "--format", "json"))
    shown = json.loads(_run(home, "plan", "show", "latest", "--format", "json"))
    assert shown == made and shown["kind"] == "delegation" and shown["params"]["id"].startswith("P")
    assert shown["stops"][0]["agenda"][0]["need_id"] == "N1"
    assert shown["params"]["id"] in _run(home, "plan", "list")
    assert "找不到计划（编号 nope）" in _error(home, "plan", "show", "nope")
    assert "走访计划需要指定企业或企业所在地区" in _error(home, "plan", "visit", "--stops", "1")


def test_region_matches_are_remembered_until_a_need_a_decision_or_an_artifact_changes(
    loaded: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairings and plans run one match per need: the second time over the same region every match is remembered;
    editing a need or deciding on one of its pairings recomputes that need only; an accepted expert decision (the
    ranker's track record) or a rebuilt index recomputes them all."""
    from matcher.match import forward
    from matcher.plan import service
    from matcher.services.feedback import record_feedback
    from matcher.services.needs import update_need

    calls: list[str | None] = []
    real = forward.match
    monkeypatch.setattr(
        forward, "match", lambda ctx, query, **kw: calls.append(query.need_id) or real(ctx, query, **kw)
    )
    first = service.pairings(loaded, min_degree=0.0)
    assert sorted(calls) == ["N1", "N2"]
    assert service.pairings(loaded, min_degree=0.0) == first and len(calls) == 2
    with loaded.session(write=True) as session:
        update_need(session, need_id="N2", changes={"description": "需要电池热失控预警算法，兼顾 SOC 估计。"})
    service.pairings(loaded, min_degree=0.0)
    assert calls[2:] == ["N2"]
    with loaded.session(write=True) as session:
        record_feedback(
            session, need_id="N1", level="outcome", target_id="O1", stage="contacted", reason=None, actor="t"
        )
    service.pairings(loaded, min_degree=0.0)
    assert calls[3:] == ["N1"]
    with loaded.session(write=True) as session:
        record_feedback(session, need_id="N1", level="expert", target_id="E1", stage="meeting", reason=None, actor="t")
    service.pairings(loaded, min_degree=0.0)
    assert sorted(calls[4:]) == ["N1", "N2"]
    data.build_index(loaded, full=True)
    service.pairings(loaded, min_degree=0.0)
    assert sorted(calls[6:]) == ["N1", "N2"]

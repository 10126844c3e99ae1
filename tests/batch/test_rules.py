"""Conflict rules, unserved reasons, exports and diffs on tiny hand-built stores."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matcher.assign.compare import diff_runs
from matcher.assign.exclusions import add_exclusion
from matcher.assign.unserved import reason
from matcher.errors import InputError, NotFoundError
from matcher.export.batch import COLUMNS, render
from matcher.match.conflicts import load_rules
from matcher.records import ExpertRecord, InstitutionRecord, NeedRecord
from matcher.services.feedback import record_feedback
from matcher.store.tables import Expert, Match, MatchRun, Need
from matcher.workspace import data
from matcher.workspace.context import Context

INSTITUTIONS = [
    InstitutionRecord(name="沈阳铸造研究所有限公司", aliases=["沈铸所"], group="中国机械工业集团", region="辽宁"),
    InstitutionRecord(name="中国机械工业集团", region="北京"),
    InstitutionRecord(name="郑州机械研究所有限公司", group="中国机械工业集团", region="河南"),
    InstitutionRecord(name="齐齐哈尔大学", region="黑龙江"),
]
EXPERTS = [
    ExpertRecord(id="E1", name="周建国", institution="沈铸所"),
    ExpertRecord(id="E2", name="王秀芳", institution="齐齐哈尔大学"),
    ExpertRecord(id="E3", name="李强", institution="中国机械工业集团"),
]
NEEDS = [
    NeedRecord(id="own", title="铸造涂料", organization="沈阳铸造研究所"),  # not an alias: a different org
    NeedRecord(id="alias", title="铸造涂料", organization="沈铸所"),
    NeedRecord(id="sibling", title="铸造涂料", organization="郑州机械研究所有限公司"),
    NeedRecord(id="parent", title="铸造涂料", organization="中国机械工业集团"),
    NeedRecord(id="free", title="铸造涂料", organization="齐齐哈尔市重型铸造有限责任公司"),
]


@pytest.fixture
def store(matcher: Context) -> Context:
    data.upsert(matcher, "institutions", INSTITUTIONS)
    data.upsert(matcher, "experts", EXPERTS)
    data.upsert(matcher, "needs", NEEDS)
    return matcher


def rule_table(matcher: Context) -> dict[tuple[str, str], str | None]:
    with matcher.session() as session:
        rules = load_rules(session)
        needs, experts = session.scalars(select(Need)).all(), session.scalars(select(Expert)).all()
        return {(n.id, e.id): rules.check(n, e) for n in needs for e in experts}


def test_own_organization_and_group_conflicts(store: Context) -> None:
    table = rule_table(store)
    assert table[("alias", "E1")] == "own_organization"  # 沈铸所 is an alias of the expert's institution
    assert table[("own", "E1")] is None
    assert table[("sibling", "E1")] == "same_group"  # both belong to 中国机械工业集团
    assert table[("parent", "E1")] == "same_group"  # the need comes from the expert's parent group
    assert table[("sibling", "E3")] == "same_group"  # the expert works at the sibling's parent
    assert table[("parent", "E3")] == "own_organization"
    assert {table[("free", e)] for e in ("E1", "E2", "E3")} == {None}
    assert table[("alias", "E2")] is None


def test_exclusions_and_rejections(store: Context) -> None:
    with store.session(write=True) as session:
        add_exclusion(session, expert_id="E2", need_id="free", organization=None, reason="利益相关")
        add_exclusion(session, expert_id="E1", need_id=None, organization="齐齐哈尔市重型铸造有限公司 ", reason="x")
        record_feedback(
            session, need_id="own", level="expert", target_id="E2", stage="rejected", reason="不对口", actor="t"
        )
        record_feedback(
            session, need_id="own", level="expert", target_id="E3", stage="rejected", reason="忙", actor="t"
        )
        record_feedback(
            session,
            need_id="own",
            level="expert",
            target_id="E3",
            stage="contacted",
            reason=None,
            actor="t",
            correction=True,  # a step back from 不合适 is recorded only as a correction
        )
    table = rule_table(store)
    assert table[("free", "E2")] == "excluded" and table[("free", "E1")] is None  # a different organisation name
    assert table[("own", "E2")] == "rejected"
    assert table[("own", "E3")] is None  # the latest decision is no longer a rejection


def test_exclusion_input_errors(store: Context) -> None:
    with store.session(write=True) as session:
        with pytest.raises(InputError, match="二选一"):
            add_exclusion(session, expert_id="E1", need_id="own", organization="x", reason="r")
        with pytest.raises(InputError, match="原因"):
            add_exclusion(session, expert_id="E1", need_id="own", organization=None, reason=" ")
        with pytest.raises(NotFoundError, match="找不到专家"):
            add_exclusion(session, expert_id="E9", need_id="own", organization=None, reason="r")


@pytest.mark.parametrize(
    ("candidates", "conflicts", "proposed", "code", "words"),
    [
        (0, {}, 0, "no_candidates", "未找到"),
        (0, {"own_organization": 2, "rejected": 1}, 0, "all_conflicts", "本单位 2 位、已被否决 1 位"),
        (2, {}, 2, "few_candidates", "仅 2 位"),
        (5, {}, 1, "capacity", "其余 4 位"),
    ],
)
def test_unserved_reasons(candidates: int, conflicts: dict, proposed: int, code: str, words: str) -> None:
    got_code, text = reason(candidates, conflicts, proposed)
    assert got_code == code and words in text


def _fake_run(matcher: Context, run_id: str, pairs: list[tuple[str, str, str]]) -> None:
    """A finished run holding the given (need id, expert id, role) rows, ranked in order."""
    with matcher.session(write=True) as session:
        run = MatchRun(id=run_id, kind="batch", status="done", params={"per_need": 1}, stats={"unserved": []})
        session.add(run)
        session.flush()
        needs = {n.id: n.pk for n in session.scalars(select(Need))}
        for rank, (need, expert, role) in enumerate(pairs, 1):
            evidence = {
                "same_region": expert == "E2",
                "terms": ["涂料"],
                "outcomes": [{"title": "锆英粉涂料", "id": "O"}],
            }
            session.add(
                Match(run_pk=run.pk, need_pk=needs[need], level="expert", target_id=expert, role=role, rank=rank,
                      score=80.0 - rank, evidence=evidence)
            )  # fmt: skip


def test_diff_lists_new_and_dropped_proposals(store: Context) -> None:
    _fake_run(store, "A", [("own", "E1", "proposal"), ("free", "E2", "proposal"), ("free", "E3", "alternate")])
    _fake_run(store, "B", [("own", "E1", "proposal"), ("free", "E3", "proposal"), ("free", "E2", "alternate")])
    with store.session() as session:
        d = diff_runs(session, old="A", new="B")
    assert d.added == [("free", "E3")] and d.dropped == [("free", "E2")] and d.kept == 1


def test_csv_and_xlsx_exports_have_chinese_headers(store: Context, tmp_path: Path) -> None:
    _fake_run(store, "A", [("free", "E2", "proposal"), ("free", "E1", "alternate")])
    with store.session() as session:
        text = render(session, run_id="A", fmt="csv").decode("utf-8-sig")
        book = load_workbook(io.BytesIO(render(session, run_id="A", fmt="xlsx")))
        with pytest.raises(InputError, match="format"):
            render(session, run_id="A", fmt="pdf")
        with pytest.raises(NotFoundError):
            render(session, run_id="nope", fmt="csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["需求编号", "需求", "企业"] and {"推荐专家", "所属单位", "匹配度", "依据"} <= set(rows[0])
    assert len(rows) == 3
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["推荐专家"], row["所属单位"], row["类型"], row["同地区"], row["依据"]) == (
        "王秀芳", "齐齐哈尔大学", "推荐", "是", "《锆英粉涂料》",
    )  # fmt: skip
    assert book.sheetnames == ["推荐清单", "未满足需求", "批次说明"]
    sheet = book["推荐清单"]
    assert [c.value for c in sheet[1]] == [h for _, h, _ in COLUMNS] and sheet.max_row == 3
    assert sheet.auto_filter.ref == "A1:P3" and sheet.freeze_panes == "A2"

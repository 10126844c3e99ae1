"""Issue 41: staff data in, intact — partial files never erase, aliases find and never rename, two people are
never fused, one outcome across exports, closed needs stay closed, counts are records. Files written inline;
stored records asserted field by field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from matcher.services.catalog import history, list_merges
from matcher.services.merges import confirm_duplicate, list_duplicates, reject_duplicate, unmerge
from matcher.store.tables import Expert, Institution, Need, Outcome
from matcher.text.units import main_unit, unit_rule
from matcher.workspace import data
from matcher.workspace.context import Context


def csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def expert(matcher: Context, name: str, unit: str | None = None) -> list[Expert]:
    with matcher.session() as session:
        rows = session.scalars(select(Expert).where(Expert.name == name).order_by(Expert.pk))
        return [r for r in rows if unit is None or (r.institution and r.institution.name == unit)]


EXPERTS = (
    "姓名,工作单位,职称,研究方向,地区,容量,电话\n"
    "周建国,沈阳铸造研究所有限公司,研究员,铸造涂料;消失模,辽宁,5,13900000001\n"
)


# -- updates never erase -------------------------------------------------------------------------------------------
def test_a_partial_file_changes_only_what_it_carries_and_every_change_is_logged(
    matcher: Context, tmp_path: Path
) -> None:
    data.import_file(matcher, "experts", csv(tmp_path / "专家库.csv", EXPERTS))
    # the same file, edited: 职称 column dropped, 地区 cell empty, 容量 changed
    edited = "姓名,工作单位,地区,容量,电话\n周建国,沈阳铸造研究所有限公司,,7,13900000001\n"
    report = data.import_file(matcher, "experts", csv(tmp_path / "专家库.csv", edited), actor="王老师")
    assert report.counts == {"updated": 1, "rejected": 0}
    (row,) = expert(matcher, "周建国")
    assert (row.title, row.fields, row.region, row.capacity) == ("研究员", ["铸造涂料", "消失模"], "辽宁", 7)
    assert row.contacts == {"phone": "13900000001"}
    with matcher.session() as session:
        (change,) = history(session, kind="experts", record_id=row.id)
    assert (change["field"], change["old"], change["new"]) == ("capacity", 5, 7)
    assert (change["source"], change["actor"]) == ("专家库.csv", "王老师")
    # --clear-empty: the empty 地区 cell clears the region
    data.import_file(matcher, "experts", tmp_path / "专家库.csv", clear_empty=True)
    (row,) = expert(matcher, "周建国")
    assert (row.title, row.region, row.capacity) == ("研究员", None, 7)


def test_an_institution_sheet_with_names_only_keeps_type_region_and_group(matcher: Context, tmp_path: Path) -> None:
    full = (
        "单位名称,类型,地区,简称,所属集团\n重庆大学,高校,重庆,重大,\n"
        "沈阳铸造研究所有限公司,研究所,辽宁,沈铸所,中国机械工业集团\n"
    )
    data.import_file(matcher, "institutions", csv(tmp_path / "单位.csv", full))
    report = data.import_file(matcher, "institutions", csv(tmp_path / "名单.csv", "单位名称\n重庆大学\n沈铸所\n"))
    assert report.counts == {"unchanged": 2, "rejected": 0}
    with matcher.session() as session:
        rows = {r.name: (r.type, r.region, r.group, r.aliases) for r in session.scalars(select(Institution))}
    assert rows == {
        "重庆大学": ("university", "重庆", None, ["重大"]),
        "沈阳铸造研究所有限公司": ("institute", "辽宁", "中国机械工业集团", ["沈铸所"]),
    }
    # the full name still imports (no UNIQUE failure), and is the same record
    again = data.import_file(matcher,
        "institutions", csv(tmp_path / "全称.csv", "单位名称,地区\n沈阳铸造研究所有限公司,辽宁\n")
    )
    assert again.rejected == 0 and again.counts["unchanged"] == 1


def test_a_need_reimported_without_a_status_column_stays_closed(matcher: Context, tmp_path: Path) -> None:
    sheet = "需求编号,需求名称,需求描述,状态\nN-1,铸件涂料开发,抗粘砂能力不足,已解决\n"
    data.import_file(matcher, "needs", csv(tmp_path / "needs.csv", sheet))
    data.import_file(matcher, "needs", csv(tmp_path / "form.csv", "需求编号,需求名称\nN-1,铸件涂料开发\n"))
    with matcher.session() as session:
        need = session.scalar(select(Need).where(Need.id == "N-1"))
        assert need is not None and (need.status, need.description) == ("closed", "抗粘砂能力不足")
    data.import_file(matcher, "needs", csv(tmp_path / "reopen.csv", "需求编号,需求名称,状态\nN-1,铸件涂料开发,开放\n"))
    with matcher.session() as session:
        assert session.scalar(select(Need.status).where(Need.id == "N-1")) == "open"


# -- aliases find, never rename -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "unit", "reason"),
    [
        ("重庆大学材料科学与工程学院", "重庆大学", "大学的院系或研究机构"),
        ("浙江大学化学系", "浙江大学", "大学的院系或研究机构"),
        ("北京大学光华管理学院", "北京大学", "大学的院系或研究机构"),
        ("重庆大学城市科技学院", "重庆大学城市科技学院", "独立学院"),
        ("四川大学锦城学院", "四川大学锦城学院", "独立学院（校名）"),
        ("四川大学华西医院", "四川大学华西医院", "医院（含附属医院）独立登记"),
        ("浙江大学医学院附属第一医院", "浙江大学医学院附属第一医院", "医院（含附属医院）独立登记"),
        ("沈阳铸造研究所有限公司", "沈阳铸造研究所有限公司", None),
    ],
)
def test_the_unit_rules_table(name: str, unit: str, reason: str | None) -> None:
    rule = unit_rule(name)
    assert main_unit(name) == unit and (rule.reason if rule else None) == reason


def test_an_alias_in_an_expert_sheet_resolves_and_renames_nothing(matcher: Context, tmp_path: Path) -> None:
    data.import_file(matcher,
        "institutions", csv(tmp_path / "i.csv", "单位名称,简称,所属集团\n沈阳铸造研究所有限公司,沈铸所,国机集团\n")
    )
    data.import_file(matcher, "experts", csv(tmp_path / "e.csv", "姓名,单位\n周建国,沈铸所\n"))
    with matcher.session() as session:
        (inst,) = session.scalars(select(Institution))
        assert (inst.name, inst.group) == ("沈阳铸造研究所有限公司", "国机集团")
    (row,) = expert(matcher, "周建国")
    assert row.institution is not None and row.institution.name == "沈阳铸造研究所有限公司"


def test_a_registered_research_institute_stays_separate(matcher: Context, tmp_path: Path) -> None:
    rows = "单位名称,类型\n清华大学,高校\n清华大学天津高端装备研究院,研究院\n"
    data.import_file(matcher, "institutions", csv(tmp_path / "i.csv", rows))
    people = "姓名,单位,职称\n李明,清华大学,教授\n李明,清华大学天津高端装备研究院,高级工程师\n"
    data.import_file(matcher, "experts", csv(tmp_path / "e.csv", people))
    found = {(e.institution.name if e.institution else None, e.title) for e in expert(matcher, "李明")}
    assert found == {("清华大学", "教授"), ("清华大学天津高端装备研究院", "高级工程师")}


# -- one person, carefully ------------------------------------------------------------------------------------------
def test_an_independent_college_is_another_person(matcher: Context, tmp_path: Path) -> None:
    data.import_file(matcher, "experts", csv(tmp_path / "a.csv", "姓名,单位,职称\n马晓东,重庆大学,教授\n"))
    data.import_file(matcher, "experts", csv(tmp_path / "b.csv", "姓名,单位,职称\n马晓东,重庆大学城市科技学院,讲师\n"))
    found = {(e.institution.name if e.institution else None, e.title) for e in expert(matcher, "马晓东")}
    assert found == {("重庆大学", "教授"), ("重庆大学城市科技学院", "讲师")}


def test_an_agreeing_email_merges_with_direction_and_evidence_and_unmerge_splits(
    matcher: Context, tmp_path: Path
) -> None:
    data.import_file(
        matcher, "experts", csv(tmp_path / "a.csv", "姓名,单位,职称,邮箱\n张伟,重庆大学,教授,zw@cqu.edu.cn\n")
    )
    b = "姓名,单位,研究方向,邮箱\n张伟,重庆大学材料科学与工程学院,镁合金,ZW@cqu.edu.cn\n"
    report = data.import_file(matcher, "experts", csv(tmp_path / "b.csv", b))
    assert report.counts == {"merged": 1, "rejected": 0} and report.merged == 1
    (row,) = expert(matcher, "张伟")
    assert (row.title, row.fields, row.institution.name if row.institution else None) == (
        "教授",
        ["镁合金"],
        "重庆大学",
    )
    with matcher.session() as session:
        (merge,) = list_merges(session)
    assert merge["source"] == "b.csv" and merge["evidence"] == ["邮箱相同（zw@cqu.edu.cn）"]
    assert merge["direction"].startswith(
        "文件「b.csv」中的 张伟（重庆大学材料科学与工程学院）并入已有专家 张伟（重庆大学"
    )
    with matcher.session(write=True) as session:
        done = unmerge(session, pk=merge["pk"])
    kept, split = sorted(expert(matcher, "张伟"), key=lambda e: e.pk)
    assert (kept.id, kept.title, kept.fields) == (row.id, "教授", [])
    assert (split.id, split.fields, split.contacts) == (done["restored"], ["镁合金"], {"email": "ZW@cqu.edu.cn"})


def test_nothing_agreeing_is_a_possible_duplicate_staff_confirm_or_reject(matcher: Context, tmp_path: Path) -> None:
    data.import_file(
        matcher, "experts", csv(tmp_path / "a.csv", "姓名,单位,职称,电话\n王芳,重庆大学,教授,13800000001\n")
    )
    report = data.import_file(matcher,
        "experts", csv(tmp_path / "b.csv", "姓名,单位,职称,电话\n王芳,重庆大学,讲师,13800000002\n")
    )
    assert report.counts == {"possible_duplicates": 1, "rejected": 0}
    first, second = expert(matcher, "王芳")
    assert (first.title, first.contacts) == ("教授", {"phone": "13800000001"})
    assert (second.title, second.contacts) == ("讲师", {"phone": "13800000002"})
    with matcher.session() as session:
        (dup,) = list_duplicates(session)
    assert (dup["expert"]["id"], dup["other"]["id"]) == (first.id, second.id)
    assert "电话不同" in dup["reason"] and "职称不同（教授 / 讲师）" in dup["reason"]
    with matcher.session(write=True) as session:
        confirm_duplicate(session, pk=dup["pk"], actor="王老师")
    (one,) = expert(matcher, "王芳")
    assert (one.id, one.title, one.contacts) == (first.id, "教授", {"phone": "13800000001"})
    with matcher.session() as session:
        assert list_duplicates(session) == []


def test_two_rows_of_one_name_and_unit_in_one_file_lose_no_phone(matcher: Context, tmp_path: Path) -> None:
    rows = "姓名,单位,电话\n刘强,重庆大学,13800000011\n刘强,重庆大学,13800000022\n"
    report = data.import_file(matcher, "experts", csv(tmp_path / "e.csv", rows))
    assert report.counts == {"created": 1, "possible_duplicates": 1, "rejected": 0}
    phones = sorted((e.contacts or {}).get("phone") for e in expert(matcher, "刘强"))
    assert phones == ["13800000011", "13800000022"]
    with matcher.session(write=True) as session:
        (dup,) = list_duplicates(session)
        reject_duplicate(session, pk=dup["pk"])
    with matcher.session() as session:
        assert list_duplicates(session) == [] and list_duplicates(session, status="rejected")[0]["pk"] == dup["pk"]


def test_an_expert_number_column_never_renames(matcher: Context, tmp_path: Path) -> None:
    data.import_file(
        matcher, "experts", csv(tmp_path / "a.csv", "专家编号,姓名,单位\nE-1,周建国,沈阳铸造研究所有限公司\n")
    )
    report = data.import_file(matcher,
        "experts", csv(tmp_path / "b.csv", "专家编号,姓名,单位\nE-1,周建华,沈阳铸造研究所有限公司\n")
    )
    assert report.rejected == 1 and report.counts.get("updated", 0) == 0
    assert [e.id for e in expert(matcher, "周建国")] == ["E-1"] and expert(matcher, "周建华") == []


# -- one outcome, one record ----------------------------------------------------------------------------------------
RIS = """TY  - JOUR
TI  - 镁合金微弧氧化涂层的耐蚀性能
AU  - 陈立
AU  - 赵敏
AD  - 浙江大学材料科学与工程学院
PY  - 2021
DO  - 10.1000/xyz123
ER  -
"""
ENDNOTE = """%0 Journal Article
%T 镁合金微弧氧化涂层的耐蚀性能
%A 赵敏
%+ 浙江大学
%D 2021
"""


def test_one_paper_from_two_exports_is_one_outcome_with_both_sources(matcher: Context, tmp_path: Path) -> None:
    (tmp_path / "cnki.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "endnote.txt").write_text(ENDNOTE, encoding="utf-8")
    assert data.import_file(matcher, "outcomes", tmp_path / "cnki.ris").counts == {"created": 1, "rejected": 0}
    report = data.import_file(matcher, "outcomes", tmp_path / "endnote.txt")
    assert report.counts == {"duplicates": 1, "merged": 1, "rejected": 0}  # its author 赵敏, from another file
    assert report.matched_stored() == 2
    with matcher.session() as session:
        (outcome,) = session.scalars(select(Outcome))
        assert (outcome.id, outcome.year, outcome.sources) == ("doi:10.1000_xyz123", 2021, ["cnki.ris", "endnote.txt"])
        assert [i.name for i in session.scalars(select(Institution))] == ["浙江大学"]

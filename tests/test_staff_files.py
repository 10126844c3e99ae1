"""Staff's own files go in as they are: Chinese headers, GBK CSV, old .xls, RIS and the tag exports of the Chinese
databases, .docx need forms (one, a folder, a zip); ids derived when missing; re-import changes nothing; one person
one expert, with every merge written down; contacts kept apart. Every file is written here, inline."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from matcher.errors import InputError
from matcher.ingest.columns import guess, header_key
from matcher.ingest.shape import kind_of, patent_key, region_name, year_of
from matcher.services.catalog import list_merges
from matcher.store.tables import Expert, Need, Outcome
from matcher.workspace import data
from matcher.workspace.context import Context, open_context

NEED_HEADERS = ["序号", "需求名称", "需求描述", "预期目标", "企业名称", "所在地区", "联系人", "联系电话"]
NEED_ROWS = [
    [1, "高档机床铸件涂料开发", "现用涂料抗粘砂能力不足。", "表面粗糙度 Ra≤12.5", "齐齐哈尔重型铸造有限公司",
     "黑龙江省", "王工", "13800000000"],
    [2, "动力电池热失控预警", "需要电池热失控早期预警算法。", None, "重庆长安新能源汽车有限公司", "重庆市",
     None, None],
]  # fmt: skip


def xlsx(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def docx_form(path: Path, cells: list[tuple[str, str]], columns: int = 2) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("企业技术需求表")
    table = document.add_table(rows=0, cols=columns)
    for i in range(0, len(cells), columns // 2):
        row = table.add_row().cells
        for j, (label, value) in enumerate(cells[i : i + columns // 2]):
            row[2 * j].text, row[2 * j + 1].text = label, value
    document.save(str(path))
    return path


def stored(matcher: Context, table: Any) -> list[Any]:
    with matcher.session() as session:
        return list(session.scalars(select(table).order_by(table.pk)))


# -- the pieces, by hand -----------------------------------------------------------------------------------------
def test_headers_map_to_fields_and_a_file_without_a_title_is_refused() -> None:
    assert header_key(" 需求名称（必填）* ") == "需求名称" and header_key("Title") == "title"
    cmap = guess("needs", NEED_HEADERS)
    assert cmap.fields == {"需求名称": "title", "需求描述": "description", "预期目标": "goal",
                           "企业名称": "organization", "所在地区": "region", "联系人": "contact_name",
                           "联系电话": "contact_phone"}  # fmt: skip
    assert cmap.ignored == ["序号"]
    with pytest.raises(
        InputError, match="找不到可作为 title 的列。文件的列：序号、课题、单位；可用的列名：title、需求名称"
    ):
        guess("needs", ["序号", "课题", "单位"])
    assert guess("needs", ["序号", "课题"], {"课题": "title", "序号": "-"}).fields == {"课题": "title"}
    with pytest.raises(InputError, match="没有字段 'colour'"):
        guess("needs", ["课题"], {"课题": "colour"})


def test_values_read_as_staff_write_them() -> None:
    from datetime import datetime

    assert [year_of(v) for v in ("2021-03-05", "2021.3", "2021年3月5日", "20210305", 2021, datetime(2019, 1, 2))] == [
        2021, 2021, 2021, 2021, 2021, 2019]  # fmt: skip
    assert year_of("不详") == "不详"  # left for the schema to refuse, with its reason
    assert patent_key("CN202110123456.7") == patent_key("2021101234567") == patent_key("ZL 2021 1 0123456.7")
    assert patent_key("CN112345678A") == "CN112345678A"
    assert [kind_of(v) for v in ("发明专利", "期刊论文", "国家自然科学基金项目", "科技成果")] == [
        "patent", "paper", "project", "achievement"]  # fmt: skip
    assert (region_name("黑龙江省"), region_name("重庆市"), region_name("火星")) == ("黑龙江", "重庆", "火星")


# -- needs from a staff sheet ------------------------------------------------------------------------------------
def test_a_staff_need_sheet_goes_in_as_it_is_and_again_changes_nothing(matcher: Context, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "需求.xlsx", NEED_HEADERS, NEED_ROWS)
    report = data.import_file(matcher, "needs", path)
    assert (report.accepted, report.rejected) == (2, 0) and report.ignored == ["序号"]
    first, second = stored(matcher, Need)
    assert first.title == "高档机床铸件涂料开发" and first.organization == "齐齐哈尔重型铸造有限公司"
    assert first.description == "现用涂料抗粘砂能力不足。 预期目标:表面粗糙度 Ra≤12.5"  # stored text is NFKC
    assert (first.region, second.region) == ("黑龙江", "重庆")
    assert first.contacts == {"name": "王工", "phone": "13800000000"} and second.contacts is None
    assert "13800000000" not in first.description  # contacts never reach the embedded text
    assert first.id.startswith("N") and len({first.id, second.id}) == 2
    before = [(n.id, n.title, n.description, n.updated_at) for n in stored(matcher, Need)]
    assert data.import_file(matcher, "needs", path).accepted == 2
    assert [(n.id, n.title, n.description, n.updated_at) for n in stored(matcher, Need)] == before
    edited = [list(NEED_ROWS[0]), list(NEED_ROWS[1])]
    edited[0][2] = "现用涂料抗粘砂能力不足，铸件重 2—8 吨。"
    data.import_file(matcher, "needs", xlsx(tmp_path / "需求2.xlsx", NEED_HEADERS, edited))
    after = stored(matcher, Need)
    assert len(after) == 2 and after[0].id == first.id and "2—8 吨" in after[0].description


def test_gbk_csv_is_read_without_mangling(matcher: Context, tmp_path: Path) -> None:
    path = tmp_path / "needs.csv"
    path.write_bytes("需求名称,需求描述,企业名称\n污泥资源化利用,提高厌氧消化产气率,重庆水务集团\n".encode("gbk"))
    report = data.import_file(matcher, "needs", path)
    assert report.accepted == 1 and "编码 GB18030" in report.notes
    assert stored(matcher, Need)[0].title == "污泥资源化利用"


# -- outcomes: patent lists, paper exports ---------------------------------------------------------------------
PATENT_HEADERS = ["申请号", "发明名称", "摘要", "申请人", "发明人", "申请日"]


def test_the_same_patent_from_two_exports_is_one_outcome(matcher: Context, tmp_path: Path) -> None:
    csv_path = tmp_path / "专利.csv"
    csv_path.write_bytes(
        (
            ",".join(PATENT_HEADERS) + "\nCN202110123456.7,一种复合锆英粉铸造涂料,提高铸件表面光洁度,"
            "重庆大学,张伟;李娜,2021-03-05\n"
        ).encode("gbk")
    )
    assert data.import_file(matcher, "outcomes", csv_path).accepted == 1
    again = [
        ["2021101234567", "一种复合锆英粉铸造涂料", "提高铸件表面光洁度。", "重庆大学", "张伟，李娜", "2021.03.05"]
    ]
    assert data.import_file(matcher, "outcomes", xlsx(tmp_path / "专利.xlsx", PATENT_HEADERS, again)).accepted == 1
    (outcome,) = stored(matcher, Outcome)
    assert (outcome.id, outcome.kind, outcome.year) == ("CN2021101234567", "patent", 2021)
    assert outcome.institution is not None and outcome.institution.name == "重庆大学"
    assert [link.expert.name for link in outcome.expert_links] == ["张伟", "李娜"]


def test_old_xls_experts(matcher: Context, tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("专家")
    rows = [["姓名", "工作单位", "职称", "研究方向", "手机"],
            ["周建国", "沈阳铸造研究所有限公司", "研究员", "铸造涂料;砂型铸造", "13900000000"]]  # fmt: skip
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(tmp_path / "专家.xls"))
    assert data.import_file(matcher, "experts", tmp_path / "专家.xls").accepted == 1
    (expert,) = stored(matcher, Expert)
    assert (expert.name, expert.title, expert.fields) == ("周建国", "研究员", ["铸造涂料", "砂型铸造"])
    assert expert.institution is not None and expert.institution.name == "沈阳铸造研究所有限公司"
    assert expert.contacts == {"phone": "13900000000"}


RIS = """TY  - JOUR
TI  - 水基铸造涂料悬浮稳定性研究
AU  - 张伟
AU  - 王芳
AB  - 研究了水基涂料的悬浮稳定性。
KW  - 铸造涂料
KW  - 悬浮性
PY  - 2022
DO  - 10.3969/j.issn.1001-4977.2022.01.001
AD  - 重庆大学材料科学与工程学院
ER  -
TY  - JOUR
AU  - 无题
ER  -
"""
ENDNOTE = ("%0 Journal Article\n%A 刘振宇\n%A 谭明\n%+ 重庆大学\n%T 锂离子电池荷电状态估计方法\n"
           "%X 自适应卡尔曼滤波估计 SOC。\n%K 锂电池;SOC\n%D 2020\n")  # fmt: skip
NOTEEXPRESS = ("{Reference Type}: Journal Article\n{Title}: 动力电池热失控预警方法\n{Author}: 谭明;刘振宇\n"
               "{Year}: 2023\n{Author Address}: 上海交通大学\n")  # fmt: skip
REFWORKS = ("RT Journal Article\nA1 曲志刚\nT1 机器人焊接工作站\nAB 激光焊缝跟踪\nYR 2019\n"
            "AD 沈阳新松机器人自动化股份有限公司\n")  # fmt: skip


def test_reference_exports_are_outcomes(matcher: Context, tmp_path: Path) -> None:
    (tmp_path / "cnki.ris").write_text(RIS, encoding="utf-8")
    report = data.import_file(matcher, "outcomes", tmp_path / "cnki.ris")
    assert (report.accepted, report.rejected, report.source) == (1, 1, "ris")
    (paper,) = stored(matcher, Outcome)
    assert paper.id == "doi:10.3969_j.issn.1001-4977.2022.01.001" and (paper.kind, paper.year) == ("paper", 2022)
    assert paper.keywords == ["铸造涂料", "悬浮性"] and paper.abstract == "研究了水基涂料的悬浮稳定性。"
    assert [link.expert.name for link in paper.expert_links] == ["张伟", "王芳"]
    for name, text in (("endnote.txt", ENDNOTE), ("noteexpress.txt", NOTEEXPRESS), ("refworks.txt", REFWORKS)):
        (tmp_path / name).write_bytes(text.encode("gbk"))
        assert data.import_file(matcher, "outcomes", tmp_path / name).accepted == 1, name
    titles = {o.title: (o.year, o.institution.name if o.institution else None) for o in stored(matcher, Outcome)}
    assert titles["锂离子电池荷电状态估计方法"] == (2020, "重庆大学")
    assert titles["动力电池热失控预警方法"] == (2023, "上海交通大学")
    assert titles["机器人焊接工作站"] == (2019, "沈阳新松机器人自动化股份有限公司")


# -- one person, one expert ----------------------------------------------------------------------------------------
def test_one_person_in_two_sources_is_one_expert_and_the_merge_is_written_down(
    matcher: Context, tmp_path: Path
) -> None:
    patents = [["CN202110123456.7", "一种复合锆英粉铸造涂料", "", "重庆大学", "张伟", "2021-03-05"],
               ["CN202010000001.1", "电池管理方法", "", "上海交通大学", "张伟", "2020-01-01"]]  # fmt: skip
    assert data.import_file(matcher, "outcomes", xlsx(tmp_path / "专利.xlsx", PATENT_HEADERS, patents)).merged == 0
    (tmp_path / "cnki.ris").write_text(RIS, encoding="utf-8")
    report = data.import_file(matcher, "outcomes", tmp_path / "cnki.ris")
    assert report.merged == 1
    experts = [(e.name, e.institution.name if e.institution else None) for e in stored(matcher, Expert)]
    assert experts.count(("张伟", "重庆大学")) == 1 and ("张伟", "上海交通大学") in experts  # two people, one name
    assert ("张伟", "重庆大学材料科学与工程学院") not in experts
    with matcher.session() as session:
        (merge,) = list_merges(session)
    assert merge["expert"] == "张伟" and merge["source"] == "cnki.ris" and "专利.xlsx" in merge["reason"]
    assert "重庆大学材料科学与工程学院 → 重庆大学" in merge["reason"]
    assert data.import_file(matcher, "outcomes", tmp_path / "cnki.ris").merged == 0  # the same file again: no new merge


# -- need forms -------------------------------------------------------------------------------------------------------
FORM = [("需求名称", "污泥资源化利用技术"), ("企业名称", "重庆水务集团"), ("需求内容", "提高厌氧消化产气率。"),
        ("预期目标", "产气率提高 20%"), ("所在地区", "重庆"), ("联系人", "李工")]  # fmt: skip


def test_docx_forms_one_a_folder_and_a_zip(matcher: Context, tmp_path: Path) -> None:
    one = docx_form(tmp_path / "form.docx", FORM, columns=4)  # two label/value pairs per row
    assert data.import_file(matcher, "needs", one).accepted == 1
    (need,) = stored(matcher, Need)
    assert (need.title, need.organization, need.region) == ("污泥资源化利用技术", "重庆水务集团", "重庆")
    assert need.description == "提高厌氧消化产气率。 预期目标:产气率提高 20%" and need.contacts == {"name": "李工"}
    folder = tmp_path / "forms"
    folder.mkdir()
    docx_form(folder / "a.docx", [("需求名称", "铸件涂料"), ("需求内容", "抗粘砂")])
    docx_form(folder / "b.docx", [("需求名称", "电池预警"), ("需求内容", "热失控")])
    (folder / "c.docx").write_bytes(b"not a docx")
    report = data.import_file(matcher, "needs", folder)
    assert (report.accepted, report.rejected) == (2, 1)
    with zipfile.ZipFile(tmp_path / "forms.zip", "w") as archive:
        for name in ("a.docx", "b.docx"):
            archive.write(folder / name, f"表/{name}")
    assert data.import_file(matcher, "needs", tmp_path / "forms.zip").accepted == 2
    assert len(stored(matcher, Need)) == 3  # the zip's forms are the folder's


# -- the command line ------------------------------------------------------------------------------------------------
def test_cli_maps_overrides_refuses_and_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_embedder) -> None:
    from matcher.cli import app as cli
    from matcher.cli.state import State

    monkeypatch.setattr(State, "opener", lambda s: open_context(s, embedder=fake_embedder))
    monkeypatch.setattr(State, "home", tmp_path / "ws")
    runner = CliRunner()
    odd = xlsx(tmp_path / "odd.xlsx", ["序号", "课题", "单位"], [[1, "铸件涂料", "某厂"]])
    refused = runner.invoke(cli.app, ["import", "needs", str(odd)])
    assert refused.exit_code != 0 and "找不到可作为 title 的列" in str(refused.exception)
    done = runner.invoke(cli.app, ["import", "needs", str(odd), "--map", "课题=title", "--map", "单位=organization"])
    assert done.exit_code == 0, done.output
    assert "课题→title" in done.output and "ignored: 序号" in done.output
    assert re.search(r"needs: 新建 \d+，更新 \d+，未变 \d+", done.output)
    empty = xlsx(tmp_path / "empty.xlsx", ["需求名称"], [[""], ["x" * 600]])
    nothing = runner.invoke(cli.app, ["import", "needs", str(empty)])
    assert nothing.exit_code != 0 and "没有导入任何记录" in str(nothing.exception)


# -- what an attacker or a busy day sends ---------------------------------------------------------------------------
def test_a_sheet_declaring_a_huge_range_is_read_by_its_rows(matcher: Context, tmp_path: Path) -> None:
    import re

    path = xlsx(tmp_path / "raw.xlsx", ["需求名称"], [["铸件涂料"]])
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    sheet = files["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r'<dimension ref="[^"]+"/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    far = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>远处的需求</t></is></c></row></sheetData>'
    files["xl/worksheets/sheet1.xml"] = sheet.replace("</sheetData>", far).encode()
    with zipfile.ZipFile(tmp_path / "attack.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    from matcher.ingest.readers import read_table

    rows = list(read_table(tmp_path / "attack.xlsx", "needs").rows)
    assert [line for line, _ in rows] == [2, 1048576]  # two rows present: two rows read, at their true lines
    with pytest.raises(InputError, match="超过 1 MB 的上限"):
        read_table(
            xlsx(tmp_path / "wide.xlsx", ["需求名称"], [["x" * 30_000]] * 40), "needs", max_sheet_bytes=1_000_000
        )


def test_a_csv_cell_over_the_csv_limit_rejects_its_row_only(matcher: Context, tmp_path: Path) -> None:
    rows = [f"C{i},需求{i},描述" for i in range(1, 1201)]
    rows.insert(600, "C-big,大单元," + "长" * 140_000)
    (tmp_path / "n.csv").write_text("id,title,description\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = data.import_file(matcher, "needs", tmp_path / "n.csv")
    assert (report.accepted, report.rejected) == (1200, 1)
    reject = json.loads(Path(report.rejects_path or "").read_text(encoding="utf-8"))
    assert reject["line"] == 602 and "描述" in reject["reason"]

"""Issue 41: files as staff have them and hostile ones — title/blank/notes/合计 rows and two sheets, Big5, UTF-16
and mixed encodings, zips of forms with bad and surplus forms, corrupted and truncated files, memory bombs, and a
fuzz over every reader: a reject or one Chinese refusal, never a traceback. Files written inline."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select

from matcher.errors import InputError
from matcher.ingest import forms
from matcher.ingest.importer import Layout, preview
from matcher.ingest.readers import read_table
from matcher.store.tables import Need
from matcher.workspace import data
from matcher.workspace.context import Context
from tests.test_staff_files import docx_form

TITLE = ["2026 年重庆市企业技术需求汇总表"]
HEADER = ["序号", "需求名称", "需求描述", "企业名称", "所在地区"]


def needs(matcher: Context) -> dict[str, tuple[str, str, str | None, str | None]]:
    with matcher.session() as session:
        return {n.title: (n.description, n.status, n.organization, n.region) for n in session.scalars(select(Need))}


def staff_workbook(path: Path) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "需求"
    for row in (TITLE, [], HEADER, [1, "铸件涂料开发", "抗粘砂能力不足", "齐齐哈尔重型铸造有限公司", "黑龙江省"], [],
                ["注：带 * 为必填项"], [2, "电池热失控预警", "早期预警算法", "长安新能源", "重庆市"],
                ["合计", "2 项"]):  # fmt: skip
        first.append(row)
    second = book.create_sheet("补充")
    second.append(["技术需求", "需求内容", "需求单位"])  # other words for the same fields
    second.append(["污泥资源化利用", "提高产气率", "重庆水务集团"])
    notes = book.create_sheet("填表说明")
    notes.append(["请按模板填写，不要改动表头。"])
    book.save(path)
    return path


# -- header detection ----------------------------------------------------------------------------------------------
def test_a_staff_workbook_with_title_notes_total_rows_and_two_sheets(matcher: Context, tmp_path: Path) -> None:
    path = staff_workbook(tmp_path / "汇总.xlsx")
    shown = preview(path, "needs", rows=5)
    assert [r["record"]["title"] for r in shown.rows] == ["铸件涂料开发", "电池热失控预警", "污泥资源化利用"]
    assert shown.rows[0]["line"] == 4 and shown.rows[0]["record"]["organization"] == "齐齐哈尔重型铸造有限公司"
    assert "读取工作表：需求（表头第 3 行）、补充（表头第 1 行）" in shown.notes
    assert "未读取（找不到表头）：填表说明" in shown.notes
    report = data.import_file(matcher, "needs", path)
    assert report.counts == {"created": 3, "rejected": 0}
    assert "跳过 1 个说明行、1 个合计行" in report.notes
    assert needs(matcher) == {
        "铸件涂料开发": ("抗粘砂能力不足", "open", "齐齐哈尔重型铸造有限公司", "黑龙江"),
        "电池热失控预警": ("早期预警算法", "open", "长安新能源", "重庆"),
        "污泥资源化利用": ("提高产气率", "open", "重庆水务集团", None),
    }


def test_header_row_and_sheet_overrides(tmp_path: Path) -> None:
    path = staff_workbook(tmp_path / "汇总.xlsx")
    only = preview(path, "needs", rows=5, layout=Layout(sheet="补充"))
    assert [r["record"]["title"] for r in only.rows] == ["污泥资源化利用"]
    with pytest.raises(InputError, match="没有名为「附表」的工作表；工作表有：需求、补充、填表说明"):
        preview(path, "needs", layout=Layout(sheet="附表"))
    text = tmp_path / "n.csv"
    text.write_text("说明,需求名称\n需求名称,企业名称\n铸件涂料,某厂\n", encoding="utf-8")
    found = preview(text, "needs")  # row 2 names two fields, row 1 one
    assert [(r["line"], r["record"]["title"], r["record"]["organization"]) for r in found.rows] == [
        (3, "铸件涂料", "某厂")
    ]
    forced = preview(text, "needs", layout=Layout(header_row=1))
    assert [(r["line"], r["record"]["title"]) for r in forced.rows] == [(2, "企业名称"), (3, "某厂")]


def test_a_csv_with_a_title_row_and_a_total_row(matcher: Context, tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text(
        "企业技术需求汇总表,,\n\n需求名称,需求描述,企业名称\n铸件涂料,粘砂,某厂\n合计,1 项,\n", encoding="utf-8"
    )
    report = data.import_file(matcher, "needs", path)
    assert report.counts == {"created": 1, "rejected": 0} and "表头在第 3 行（其上 2 行不是数据）" in report.notes
    assert needs(matcher) == {"铸件涂料": ("粘砂", "open", "某厂", None)}


# -- text stays true ----------------------------------------------------------------------------------------------
SHEET = (
    "需求名稱,企業名稱,所在地區\n高檔機床鑄件塗料開發,齊齊哈爾重型鑄造有限公司,黑龍江\n"
    "動力電池熱失控預警,長安新能源汽車,重慶\n"
)


@pytest.mark.parametrize("encoding", ["big5", "utf-16", "utf-16-le", "gb18030"])
def test_big5_utf16_and_gb18030_are_read_as_written(matcher: Context, tmp_path: Path, encoding: str) -> None:
    text = SHEET if encoding != "gb18030" else SHEET.replace("檔", "档")
    (tmp_path / "n.csv").write_bytes(text.encode(encoding))
    report = data.import_file(matcher, "needs", tmp_path / "n.csv")
    assert report.counts == {"created": 2, "rejected": 0}
    first = "高檔機床鑄件塗料開發" if encoding != "gb18030" else "高档機床鑄件塗料開發"
    assert needs(matcher) == {first: ("", "open", "齊齊哈爾重型鑄造有限公司", "黑龍江"),
                              "動力電池熱失控預警": ("", "open", "長安新能源汽車", "重慶")}  # fmt: skip


def test_a_gbk_line_after_utf8_lines_is_rejected_never_stored_mangled(matcher: Context, tmp_path: Path) -> None:
    good = "需求名称,企业名称\n" + "".join(f"需求{i},某厂\n" for i in range(3))
    (tmp_path / "n.csv").write_bytes(good.encode() + "铸件涂料,齐齐哈尔\n".encode("gbk") + "需求9,某厂\n".encode())
    report = data.import_file(matcher, "needs", tmp_path / "n.csv")
    assert report.counts == {"created": 4, "rejected": 1}
    reject = json.loads(Path(report.rejects_path or "").read_text(encoding="utf-8"))
    assert reject["line"] == 5 and "无法按 utf-8 解码" in reject["reason"]
    assert all("\ufffd" not in t for t in needs(matcher))


def test_invalid_utf8_in_a_reference_export_rejects_that_record(matcher: Context, tmp_path: Path) -> None:
    ris = "TY  - JOUR\nTI  - 镁合金涂层\nPY  - 2021\nER  - \n\nTY  - JOUR\nTI  - 坏\n".encode()
    ris += b"AB  - \xff\xfe\nPY  - 2022\nER  - \n\nTY  - JOUR\nTI  - \xe6\x88\x90\n"  # the last record cut short
    (tmp_path / "x.ris").write_bytes(ris)
    report = data.import_file(matcher, "outcomes", tmp_path / "x.ris")
    assert report.counts == {"created": 1, "rejected": 2}
    lines = [json.loads(r) for r in Path(report.rejects_path or "").read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["reason"][:6]) for r in lines] == [(6, "无法按 ut"), (12, "记录不完整（")]


# -- zips of forms -------------------------------------------------------------------------------------------------
FORM = [("需求名称", "污泥资源化利用技术"), ("企业名称", "重庆水务集团"), ("需求内容", "提高产气率。")]


def test_a_zip_of_forms_rejects_bad_and_surplus_forms_one_by_one(
    matcher: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "MAX_FORMS", 2)
    good = docx_form(tmp_path / "a.docx", FORM).read_bytes()
    other = docx_form(tmp_path / "b.docx", [("需求名称", "焊接机器人"), ("企业名称", "某厂")]).read_bytes()
    with zipfile.ZipFile(tmp_path / "forms.zip", "w") as archive:
        archive.writestr("1.docx", good)
        archive.writestr("2-broken.docx", b"PK\x03\x04 not a form")
        archive.writestr("3.docx", other)
    report = data.import_file(matcher, "needs", tmp_path / "forms.zip")
    assert report.counts == {"created": 1, "rejected": 2}
    reasons = [json.loads(r)["reason"] for r in Path(report.rejects_path or "").read_text("utf-8").splitlines()]
    assert reasons[0].startswith("2-broken.docx：") and reasons[1].startswith("3.docx：超过一次 2 份的上限")
    assert needs(matcher) == {"污泥资源化利用技术": ("提高产气率。", "open", "重庆水务集团", None)}


# -- bounded parsing -----------------------------------------------------------------------------------------------
def _bomb_docx(path: Path, inflated: int) -> Path:
    body = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", body + b" " * inflated + b"</w:body></w:document>")
    return path


def test_a_docx_whose_body_inflates_past_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = _bomb_docx(tmp_path / "bomb.docx", 60_000_000)
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match=re.escape("bomb.docx：表格：其中 word/document.xml 解压后超过 10 MB 的上限")):
        read_table(path, "needs")


def test_shared_strings_and_any_worksheet_name_are_measured(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["需求名称"])
    book.save(tmp_path / "base.xlsx")
    parts = {
        i.filename: zipfile.ZipFile(tmp_path / "base.xlsx").read(i)
        for i in zipfile.ZipFile(tmp_path / "base.xlsx").infolist()
    }
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * 700_000
    )
    for name, extra, limit in (("xl/sharedStrings.xml", strings + b"</sst>", "10 MB"),
                               ("xl/worksheets/data.xml", b" " * 3_000_000, "2 MB")):  # fmt: skip
        with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
            for part, content in {**parts, name: extra}.items():
                archive.writestr(part, content)
        with pytest.raises(InputError, match=f"其中 {name} 解压后超过 {limit} 的上限"):
            read_table(tmp_path / "bomb.xlsx", "needs", max_sheet_bytes=2_000_000)


# -- a bad file is a reject ----------------------------------------------------------------------------------------
def test_a_truncated_sheet_keeps_what_was_read_and_says_where_it_broke(matcher: Context, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["需求名称", "企业名称"])
    for i in range(1, 1201):
        sheet.append([f"需求{i}", "某厂"])
    book.save(tmp_path / "full.xlsx")
    src = zipfile.ZipFile(tmp_path / "full.xlsx")
    with zipfile.ZipFile(tmp_path / "cut.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        for info in src.infolist():
            part = src.read(info)
            archive.writestr(info.filename, part[: len(part) // 2] if info.filename.endswith("sheet1.xml") else part)
    report = data.import_file(matcher, "needs", tmp_path / "cut.xlsx")
    created = report.counts["created"]
    assert 400 < created < 1200 and report.rejected == 1 and len(needs(matcher)) == created
    assert any(n.startswith(f"文件在第 {created + 1} 行之后截断或损坏") for n in report.notes)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".docx", ".zip", ".gz"])
def test_garbage_in_a_container_is_one_refusal(matcher: Context, tmp_path: Path, suffix: str) -> None:
    name = "x.csv.gz" if suffix == ".gz" else f"x{suffix}"
    (tmp_path / name).write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    try:
        report = data.import_file(matcher, "needs", tmp_path / name)
    except InputError as exc:
        assert str(exc).startswith(name) and "\n" not in str(exc)
    else:  # a zip of forms: nothing readable is one rejected form, never a traceback
        assert report.counts.get("created", 0) == 0 and report.rejected >= 1


# -- fuzz: every reader, mutated files -----------------------------------------------------------------------------
def _corpus(tmp: Path) -> dict[str, bytes]:
    staff_workbook(tmp / "w.xlsx")
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("需求")
    for r, row in enumerate([HEADER, [1, "铸件涂料", "粘砂", "某厂", "重庆"]]):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    book.save(str(tmp / "w.xls"))
    docx_form(tmp / "f.docx", FORM)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("f.docx", (tmp / "f.docx").read_bytes())
    return {
        ".csv": "需求名称,企业名称\n铸件涂料,某厂\n合计,1\n".encode("gbk"),
        ".tsv": "需求名称\t企业名称\n铸件涂料\t某厂\n".encode(),
        ".jsonl": json.dumps({"id": "N1", "title": "铸件"}, ensure_ascii=False).encode() + b"\n",
        ".ris": "TY  - JOUR\nTI  - 涂层\nAU  - 陈立\nPY  - 2021\nER  - \n".encode(),
        ".enw": "%0 Journal Article\n%T 涂层\n%A 陈立\n%D 2021\n".encode(),
        ".xlsx": (tmp / "w.xlsx").read_bytes(),
        ".xls": (tmp / "w.xls").read_bytes(),
        ".docx": (tmp / "f.docx").read_bytes(),
        ".zip": buffer.getvalue(),
    }


def _mutate(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        action = rng.random()
        at = rng.randrange(len(out)) if out else 0
        if action < 0.5 and out:
            out[at] = rng.randrange(256)
        elif action < 0.7:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif action < 0.85:
            del out[at : at + rng.randint(1, 64)]
        else:
            out = out[: max(0, at)]
    return bytes(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _corpus(tmp_path_factory.mktemp("corpus"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".ris", ".enw", ".xlsx", ".xls", ".docx", ".zip"]),
       seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["needs", "outcomes"]))  # fmt: skip
def test_fuzz_every_reader_refuses_or_rejects_never_raises(
    corpus: dict[str, bytes], tmp_path: Path, suffix: str, seed: int, kind: str
) -> None:
    path = tmp_path / f"f{seed % 1000}{suffix}"
    path.write_bytes(_mutate(corpus[suffix], seed))
    try:
        preview(path, kind, rows=50)
    except InputError as exc:
        assert "\n" not in str(exc).strip() or "Traceback" not in str(exc)


def test_an_override_wins_its_field_and_a_repeated_header_is_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("需求名称,备注,需求名称,合作方式\n旧名,新名,重复列,技术转让\n", encoding="utf-8")
    shown = preview(path, "needs", mapping={"备注": "title"})
    assert shown.mapping == {"备注": "title", "合作方式": "goal"} and shown.ignored == ["需求名称", "需求名称（2）"]
    assert shown.rows[0]["record"]["title"] == "新名" and shown.rows[0]["record"]["description"] == "合作方式:技术转让"


def test_a_zip_whose_every_form_is_a_bomb_rejects_each_with_its_reason(matcher: Context, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "forms.zip", "w") as archive:
        for i in range(3):
            archive.writestr(f"{i}.docx", _bomb_docx(tmp_path / f"{i}.docx", 12_000_000).read_bytes())
    report = data.import_file(matcher, "needs", tmp_path / "forms.zip")
    assert report.counts == {"rejected": 3} and needs(matcher) == {}
    reasons = [json.loads(r)["reason"] for r in Path(report.rejects_path or "").read_text("utf-8").splitlines()]
    assert reasons == [
        f"{i}.docx：表格：其中 word/document.xml 解压后超过 10 MB 的上限；请拆分后导入" for i in range(3)
    ]


def test_a_picture_named_xlsx_is_refused_in_chinese_only() -> None:
    from matcher.errors import InputError
    from matcher.ingest.bounded import check_zip

    with pytest.raises(InputError) as refused:
        check_zip(b"\x89PNG\r\n\x1a\n" + bytes(64), stream_limit=10**6, name="成果清单.xlsx")
    assert str(refused.value) == "成果清单.xlsx：文件已损坏或不是所选的格式，无法读取"

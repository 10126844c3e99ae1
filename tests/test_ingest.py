from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher.errors import InputError
from matcher.store.tables import Expert, Institution, Need, Outcome, OutcomeExpert
from matcher.text.normalize import compose
from matcher.workspace import data
from matcher.workspace.context import Context
from tests.conftest import NEEDS, OUTCOMES, write_jsonl


def count(m: Context, table: type) -> int:
    with m.session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_import_is_idempotent_and_resolves_aliases(matcher: Context, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "o.jsonl", OUTCOMES)
    first = data.import_file(matcher, "outcomes", path)
    second = data.import_file(matcher, "outcomes", path)
    assert (first.accepted, second.accepted, first.rejected) == (5, 5, 0)
    assert count(matcher, Outcome) == 5 and count(matcher, OutcomeExpert) == 5
    # 沈铸所 is an alias of 沈阳铸造研究所有限公司; 重大 → 重庆大学; 上海交大 → 上海交通大学
    with matcher.session() as s:
        names = set(s.scalars(select(Institution.name)))
        assert names == {"沈阳铸造研究所有限公司", "重庆大学", "上海交通大学", "沈阳新松机器人自动化股份有限公司"}
        assert s.scalar(select(func.count()).select_from(Expert)) == 4  # E1 shared by O1 and O2


def test_expert_without_id_gets_stable_id(matcher: Context, tmp_path: Path) -> None:
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    with matcher.session() as s:
        ids = {e.name: e.id for e in s.scalars(select(Expert))}
    data.import_file(matcher,
        "experts",
        write_jsonl(
            tmp_path / "e.jsonl",
            [
                {
                    "name": "刘振宇",
                    "institution": "重庆大学",
                    "title": "教授",
                    "fields": "动力电池;电池管理",
                    "capacity": 3,
                }
            ],
        ),
    )
    with matcher.session() as s:
        liu = s.scalar(select(Expert).where(Expert.name == "刘振宇"))
        assert liu is not None and liu.id == ids["刘振宇"] and liu.fields == ["动力电池", "电池管理"]
        assert liu.capacity == 3 and count(matcher, Expert) == 4


def test_bad_rows_are_rejected_with_line_and_reason(matcher: Context, tmp_path: Path) -> None:
    path = tmp_path / "needs.jsonl"
    lines = [
        json.dumps(NEEDS[0], ensure_ascii=False),
        "{not json",
        json.dumps({"id": "N9"}),
        json.dumps({"id": "N3", "title": "好需求", "status": "maybe"}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = data.import_file(matcher, "needs", path)
    assert (report.accepted, report.rejected) == (1, 3)
    rejects = [json.loads(x) for x in Path(report.rejects_path or "").read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rejects] == [2, 3, 4]
    assert "不是有效的 JSON" in rejects[0]["reason"] and "标题" in rejects[1]["reason"]
    assert "状态" in rejects[2]["reason"]


def test_a_line_that_is_not_utf8_is_one_rejected_row(matcher: Context, tmp_path: Path) -> None:
    """A bad byte on line 1,200 of 1,500: every other row is kept, that line is rejected with its true number."""
    rows = [json.dumps({"id": f"U{i}", "title": f"需求{i}"}, ensure_ascii=False).encode() for i in range(1, 1501)]
    rows[1199] = b'{"id": "U1200", "title": "\xff\xfe"}'
    path = tmp_path / "u.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    report = data.import_file(matcher, "needs", path)
    assert (report.accepted, report.rejected) == (1499, 1)
    reject = json.loads(Path(report.rejects_path or "").read_text(encoding="utf-8"))
    assert reject["line"] == 1200 and "无法按 utf-8 解码" in reject["reason"] and "第 1200 行" in reject["reason"]
    assert count(matcher, Need) == 1499


def test_csv_rows_wider_than_the_header_and_bad_bytes_are_rejected(matcher: Context, tmp_path: Path) -> None:
    path = tmp_path / "needs.csv"
    path.write_bytes(
        "id,title,description\nC1,污泥资源化,提高产气率\nC2,标题,描述,多出来,两列\n".encode()
        + b"C3,\xff\xfe,x\nC4,\xe5\x85\xb3\xe9\x94\xae,y\n"
    )
    report = data.import_file(matcher, "needs", path)
    assert (report.accepted, report.rejected) == (2, 2)
    rejects = [json.loads(x) for x in Path(report.rejects_path or "").read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rejects] == [3, 4]
    assert "多出 2 列" in rejects[0]["reason"] and "无法按 utf-8 解码" in rejects[1]["reason"]


def test_repeated_ids_count_once_and_nan_is_not_json(matcher: Context, tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(
        '{"id": "R1", "title": "一"}\n{"id": "R1", "title": "二"}\n{"id": "R2", "title": "三", "year": NaN}\n',
        encoding="utf-8",
    )
    report = data.import_file(matcher, "needs", path)
    assert (report.accepted, report.repeated, report.rejected) == (1, 1, 1)
    text = Path(report.rejects_path or "").read_text(encoding="utf-8")
    assert "NaN" in json.loads(text)["reason"] and "不是有效的 JSON" in text
    with matcher.session() as s:
        assert s.scalar(select(Need.title).where(Need.id == "R1")) == "二"


def test_ids_that_cannot_travel_in_a_url_and_huge_terms_are_rejected(matcher: Context, tmp_path: Path) -> None:
    ids = ("a/b", ".", "..", " x ", "ok-1.2:3@4", "成果_1", "Preprint-209901.00001V1#2", "a?b", "a%2Fb")
    rows = [{"id": i, "title": "标题"} for i in ids]
    report = data.import_file(matcher, "needs", write_jsonl(tmp_path / "ids.jsonl", rows))
    assert (report.accepted, report.rejected) == (4, 5)  # " x " is stripped to "x"; a/b . .. a?b a%2Fb are refused
    huge = [{"id": "K1", "title": "t", "keywords": ["字" * 1_000_000]}]
    assert data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "k.jsonl", huge)).rejected == 1


def test_csv_and_xlsx_imports(matcher: Context, tmp_path: Path) -> None:
    path = tmp_path / "needs.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "description", "region"])
        writer.writeheader()
        writer.writerow({"id": "C1", "title": "污泥资源化", "description": "提高产气率", "region": "上海"})
    assert data.import_file(matcher, "needs", path).accepted == 1
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "kind", "title", "abstract", "keywords", "experts"])
    sheet.append(["X1", "patent", "一种焊接机器人", "焊缝跟踪", "焊接;机器人", "曲志刚"])
    sheet.append([1001, "paper", "数字编号的成果", "编号是数字单元格", "", ""])
    book.save(tmp_path / "o.xlsx")
    assert data.import_file(matcher, "outcomes", tmp_path / "o.xlsx").accepted == 2
    with matcher.session() as s:
        row = s.scalar(select(Outcome).where(Outcome.id == "X1"))
        assert row is not None and row.keywords == ["焊接", "机器人"] and "焊缝" in row.tokens.split()


def test_unknown_file_type_and_kind(matcher: Context, tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_text("hi", encoding="utf-8")
    with pytest.raises(InputError, match=r"不支持的文件类型 \.pdf"):
        data.import_file(matcher, "needs", tmp_path / "x.pdf")
    (tmp_path / "x.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(InputError, match="不是可识别的文献导出格式"):
        data.import_file(matcher, "outcomes", tmp_path / "x.txt")
    with pytest.raises(InputError, match="unknown record kind"):
        data.import_file(matcher, "widgets", tmp_path / "x.txt")


def test_need_embeddings_are_stored_at_import(matcher: Context, tmp_path: Path, fake_embedder) -> None:
    data.import_file(matcher, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    assert fake_embedder.calls == 4  # full text and title alone of each need
    matcher.embedder.encode_queries(
        [compose(NEEDS[0]["title"], NEEDS[0]["description"], matcher.settings.embed_max_chars), NEEDS[0]["title"]]
    )
    assert fake_embedder.calls == 4  # served from the cache


@pytest.mark.parametrize("blank", ["\x0b", "\x1c", "\x85", "\ufeff", " \u3000 "])
def test_text_white_space_to_python_or_json_schema_is_blank(blank: str) -> None:
    from pydantic import ValidationError

    from matcher.records import InstitutionRecord, NeedRecord

    for bad in ({"name": "甲公司", "aliases": [blank]}, {"name": blank}):
        with pytest.raises(ValidationError):
            InstitutionRecord.model_validate(bad)
    with pytest.raises(ValidationError):
        NeedRecord.model_validate({"id": "N1", "title": blank})
    assert "甲公司" in InstitutionRecord.model_validate({"name": f"{blank}甲公司{blank}"}).name


def test_valid_records_are_the_rows_import_would_store(tmp_path: Path) -> None:
    from matcher.ingest.importer import valid_records

    path = tmp_path / "o.csv"
    path.write_text(
        "id,title,year,experts\n"
        "o1,铸造涂料（水基）,2016,张三；李四\n"  # full-width brackets are stored half-width (NFKC)
        "o2,电池预警,not-a-year,\n"  # rejected, as import rejects it
        "o1,铸造涂料,2017,张三\n",  # a repeated id: the last row wins, in the first row's place
        encoding="utf-8",
    )
    records, rejected = valid_records(path, "outcomes")
    assert rejected == 1
    assert [(r["id"], r["title"], r["year"]) for r in records] == [("o1", "铸造涂料", 2017)]
    assert [e["name"] for e in records[0]["experts"]] == ["张三"]
    path.write_text("id,title,year\no1,铸造涂料（水基）,2016\n", encoding="utf-8")
    assert valid_records(path, "outcomes")[0][0]["title"] == "铸造涂料(水基)"

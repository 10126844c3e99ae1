"""`matcher import engagements`: a 台账 written with the headers staff use goes in (needs found or created,
partners resolved by name, stages dated, contracts recorded, bad rows rejected with a reason, a re-run changing
nothing), then `matcher report progress` and `matcher followups` read it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from matcher.cli import app as cli
from tests.conftest import NEEDS, OUTCOMES, write_jsonl
from tests.test_cli import home, invoke, runner  # noqa: F401  (the CLI fixture)

HEADERS = ["序号", "需求名称", "需求企业", "对接单位", "对接专家", "当前阶段", "阶段日期", "合同类型",
           "合同金额（万元）", "合同登记号", "负责人", "下一步", "跟进日期", "备注"]  # fmt: skip
ROWS = [
    [1, "机床铸件表面涂料开发", "齐齐哈尔市重型铸造有限责任公司", "沈阳铸造研究所有限公司", "周建国", "已签约",
     datetime(2026, 4, 10), "技术开发", 100, "R-2026-01", "张敏", "合同登记", date(2026, 5, 1), None],
    [2, "动力电池安全预警", None, "上海交通大学", "谭明", "合作意向", "2026/3/5", None, None, None, "李强",
     "约见面", "2026-03-20", None],
    [3, "焊接机器人改造", "沈北用户公司", "沈阳新松机器人自动化股份有限公司", None, "不合适", "2026年4月2日", None,
     None, None, "李强", None, None, "企业预算不足"],
    [4, "动力电池安全预警", None, "重庆大学", "刘振宇", "谈判中", "2026-04-01", None, None, None, "李强", None, None,
     None],
    [5, "全新需求", "某公司", None, None, "已联系", "2026-04-01", None, None, None, "李强", None, None, None],
    [6, "机床铸件表面涂料开发", "齐齐哈尔市重型铸造有限责任公司", "沈阳铸造研究所有限公司", "周建国", "已签约",
     datetime(2026, 4, 10), "技术开发", 100, "R-2026-01", "张敏", "合同登记", date(2026, 5, 1), None],
]  # fmt: skip


def _ledger(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "对接台账"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def test_a_written_ledger_goes_in_and_the_report_comes_out(home: Path, tmp_path: Path) -> None:  # noqa: F811
    invoke(home, "import", "outcomes", str(write_jsonl(tmp_path / "o.jsonl", OUTCOMES)))
    invoke(home, "import", "needs", str(write_jsonl(tmp_path / "n.jsonl", NEEDS)))
    ledger = _ledger(tmp_path / "台账.xlsx")
    out = invoke(home, "import", "engagements", str(ledger), "--who", "张敏")
    assert "4 rows recorded (1 unchanged), 2 rejected; new needs 1, new partners 0, contracts 1" in out
    rejected = [json.loads(line) for line in (tmp_path / "台账.xlsx.rejects.jsonl").read_text("utf-8").splitlines()]
    assert [(r["line"], r["reason"][:8]) for r in rejected] == [(5, "当前阶段无法识别"), (6, "缺少对接单位、对")]
    assert "0 rows recorded (4 unchanged)" not in invoke(home, "import", "engagements", str(ledger))
    assert "4 rows recorded (4 unchanged)" in invoke(home, "import", "engagements", str(ledger))

    q1 = json.loads(invoke(home, "report", "progress", "--from", "2026-01-01", "--to", "2026-03-31", "--json"))
    q2 = json.loads(invoke(home, "report", "progress", "--from", "2026-04-01", "--to", "2026-06-30", "--json"))
    # Q1: 动力电池安全预警 reached 合作意向 on 03-05 (so it was contacted and met); Q2: the coating need signed on
    # 04-10 for 100 万元, the welding need (created by the ledger) ended 不合适 on 04-02
    assert [q1[k] for k in ("contacted", "met", "intention", "signed", "rejected", "contracts")] == [1, 1, 1, 0, 0, 0]
    assert [q2[k] for k in ("contacted", "signed", "rejected", "contracts", "contract_amount_wan")] == [1, 1, 1, 1, 100]
    assert q2["top_experts"][0]["name"] == "周建国" and q2["top_institutions"][0]["name"] == "沈阳铸造研究所有限公司"
    book = tmp_path / "q2.xlsx"
    invoke(home, "report", "progress", "--from", "2026-04-01", "--to", "2026-06-30", "--out", str(book))
    overview = {r[0]: r[1] for r in load_workbook(book)["总览"].iter_rows(min_row=2, values_only=True)}
    assert (overview["已签约"], overview["不合适"], overview["合同金额（万元）"]) == (1, 1, 100)

    due = invoke(home, "followups", "--today", "2026-04-28", "--csv", str(tmp_path / "f.csv"))
    assert "逾期 39 天" in due and "3 天后到期" in due and "约见面" in due
    assert "约见面" not in invoke(home, "followups", "--today", "2026-04-28", "--owner", "张敏")
    assert (tmp_path / "f.csv").read_text("utf-8-sig").splitlines()[0].startswith('"状态","到期日"')


def test_bad_report_input_is_one_line(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # noqa: F811
    argv = ["matcher", "--home", str(home), "report", "progress", "--from", "2026-13-01", "--to", "2026-12-31"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--from 须为 YYYY-MM-DD" in err and "Traceback" not in err

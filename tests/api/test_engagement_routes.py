"""The 对接台账 over HTTP: a need walked from a proposal to a signed contract, follow-ups against a frozen day (list,
CSV, calendar), the progress report as JSON and XLSX, and the roles (viewers see statistics only)."""

from __future__ import annotations

import csv
import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.deps import get_today
from tests.api.conftest import as_role
from tests.api.test_routes import is_problem


def _walk(client: TestClient, staff: dict[str, str]) -> int:
    """N1's top expert from its match list, through the stages to a signed contract; the record's id."""
    top = client.get("/needs/N1/matches", params={"level": "expert", "top": 3}, headers=staff).json()["hits"][0]
    made = client.post("/engagements", json={"need_id": "N1", "level": "expert", "target_id": top["id"],
                                             "source": "match", "next_action": "电话联系专家",
                                             "due_date": "2026-03-02", "on": "2026-02-20"}, headers=staff)  # fmt: skip
    assert made.status_code == 201, made.text
    record = made.json()
    assert (record["stage_zh"], record["owner"], record["target_name"]) == ("推荐", "staff-user", top["name"])
    number = record["id"]
    for stage, day in (("contacted", "2026-03-02"), ("meeting", "2026-03-10"), ("intention", "2026-03-20")):
        moved = client.post(f"/engagements/{number}/stage", json={"stage": stage, "on": day}, headers=staff)
        assert moved.status_code == 200 and moved.json()["stage"] == stage, moved.text
    signed = client.post(f"/engagements/{number}/contracts", json={
        "type": "技术开发", "amount_wan": 80, "signed_on": "2026-04-08", "registration_no": "2026-XY-1",
        "parties": ["齐齐哈尔市重型铸造有限责任公司", top["name"]]}, headers=staff)  # fmt: skip
    assert signed.status_code == 201, signed.text
    return int(number)


def test_a_need_walks_from_a_proposal_to_a_signed_contract(client: TestClient, keys: dict[str, str]) -> None:
    staff = as_role(keys, "staff")
    number = _walk(client, staff)
    record = client.get(f"/engagements/{number}", headers=staff).json()
    assert record["stage_zh"] == "已签约" and record["contracts"][0]["amount_wan"] == 80
    assert [(h["stage_zh"], h["on"]) for h in record["history"]] == [
        ("推荐", "2026-02-20"), ("已联系", "2026-03-02"), ("已对接", "2026-03-10"), ("合作意向", "2026-03-20"),
        ("已签约", "2026-04-08")]  # fmt: skip
    # the same history is the need's feedback (one model)
    feedback = client.get("/needs/N1/feedback", headers=staff).json()
    assert [f["stage"] for f in feedback] == ["proposed", "contacted", "meeting", "intention", "signed"]
    again = client.post("/engagements", json={"need_id": "N1", "level": "expert", "target_id": record["target_id"]},
                        headers=staff)  # fmt: skip
    is_problem(again, 409)
    is_problem(client.post(f"/engagements/{number}/stage", json={"stage": "contacted"}, headers=staff), 409)
    is_problem(client.post("/engagements/999/stage", json={"stage": "contacted"}, headers=staff), 404)
    is_problem(client.post(f"/engagements/{number}/contracts", json={"type": "买卖"}, headers=staff), 422)
    summary = client.get("/judgements/summary", headers=staff).json()
    assert summary["from_ledger"] == {"total": 1, "signed": 1, "rejected": 0}


def test_the_report_as_json_and_xlsx_and_html(client: TestClient, keys: dict[str, str]) -> None:
    staff, viewer = as_role(keys, "staff"), as_role(keys, "viewer")
    _walk(client, staff)
    q1 = client.get("/reports/progress", params={"from": "2026-01-01", "to": "2026-03-31"}, headers=viewer).json()
    q2 = client.get("/reports/progress", params={"from": "2026-04-01", "to": "2026-06-30"}, headers=viewer).json()
    # N1 was proposed, contacted, met and came to an intention in Q1; it signed in Q2
    assert [q1[k] for k in ("contacted", "met", "intention", "signed", "contracts")] == [1, 1, 1, 0, 0]
    assert [q2[k] for k in ("contacted", "signed", "contracts", "contract_amount_wan")] == [0, 1, 1, 80.0]
    assert q2["funnel"][-1] == {"stage": "signed", "stage_zh": "已签约", "count": 1, "median_days": 19.0, "timed": 1}
    book = client.get("/reports/progress", params={"from": "2026-04-01", "to": "2026-06-30", "format": "xlsx"},
                      headers=viewer)  # fmt: skip
    sheet = load_workbook(io.BytesIO(book.content))["总览"]
    assert {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}["合同金额（万元）"] == 80
    page = client.get("/reports/progress", params={"from": "2026-04-01", "to": "2026-06-30", "format": "html"},
                      headers=viewer)  # fmt: skip
    assert page.headers["content-type"].startswith("text/html") and "对接工作统计报表" in page.text
    swapped = client.get("/reports/progress", params={"from": "2026-06-30", "to": "2026-04-01"}, headers=viewer).json()
    assert swapped["period"] == {"from": "2026-04-01", "to": "2026-06-30"} and swapped["signed"] == 1
    assert swapped["notes"] == ["结束日期 2026-04-01 早于开始日期 2026-06-30，已按 2026-04-01 至 2026-06-30 统计"]
    is_problem(client.get("/reports/progress", params={"from": "2026-02-30", "to": "2026-04-01"}, headers=viewer), 422)


def test_followups_against_a_frozen_day(client: TestClient, keys: dict[str, str]) -> None:
    staff = as_role(keys, "staff")
    number = _walk(client, staff)
    client.patch(f"/engagements/{number}", json={"next_action": "催办合同登记", "due_date": "2026-04-20"},
                 headers=staff)  # fmt: skip
    client.app.dependency_overrides[get_today] = lambda: date(2026, 4, 23)  # type: ignore[attr-defined]
    try:
        due = client.get("/followups", params={"owner": "staff-user"}, headers=staff).json()
        assert [(d["engagement"]["id"], d["days"], d["overdue"], d["status_zh"]) for d in due] == [
            (number, -3, True, "逾期 3 天")]  # fmt: skip
        assert client.get("/followups", params={"owner": "someone-else"}, headers=staff).json() == []
        client.app.dependency_overrides[get_today] = lambda: date(2026, 4, 10)  # type: ignore[attr-defined]
        assert client.get("/followups", params={"within": 9}, headers=staff).json() == []
        assert client.get("/followups", params={"within": 10}, headers=staff).json()[0]["status_zh"] == "10 天后到期"
        exported = client.get("/followups/export.csv", params={"within": 30}, headers=staff)
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["状态", "到期日", "负责人", "下一步"]
        assert rows[1][:4] == ["10 天后到期", "2026-04-20", "staff-user", "催办合同登记"]
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    feed = client.get("/followups/calendar.ics", params={"owner": "staff-user"}, headers=staff)
    assert feed.headers["content-type"].startswith("text/calendar")
    lines = feed.content.decode("utf-8").split("\r\n")
    assert "DTSTART;VALUE=DATE:20260420" in lines and lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)


def test_viewers_see_statistics_never_the_ledger(client: TestClient, keys: dict[str, str]) -> None:
    staff, viewer = as_role(keys, "staff"), as_role(keys, "viewer")
    number = _walk(client, staff)
    client.patch(f"/engagements/{number}", json={"notes": "企业联系人：王经理 13800000000"}, headers=staff)
    for path in ("/engagements", f"/engagements/{number}", "/followups", "/followups/export.csv",
                 "/followups/calendar.ics"):  # fmt: skip
        is_problem(client.get(path, headers=viewer), 403)
    is_problem(client.post("/engagements", json={"need_id": "N2", "level": "expert", "target_id": "E1"},
                           headers=viewer), 403)  # fmt: skip
    report = client.get("/reports/progress", params={"from": "2026-01-01", "to": "2026-12-31", "format": "html"},
                        headers=viewer)  # fmt: skip
    assert report.status_code == 200 and "王经理" not in report.text and "13800000000" not in report.text
    is_problem(client.get("/reports/progress", params={"from": "2026-01-01", "to": "2026-12-31"}), 401)
    assert client.get("/engagements", headers=as_role(keys, "admin")).json()[0]["notes"].startswith("企业联系人")


def test_the_import_card_previews_and_imports_a_ledger(client: TestClient, keys: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_ledger_import import _ledger

    staff = as_role(keys, "staff")
    body = _ledger(tmp_path / "台账.xlsx").read_bytes()
    shown = client.post("/engagements/bulk", params={"format": "xlsx", "preview": "true"}, content=body,
                        headers=staff).json()  # fmt: skip
    assert shown["mapping"]["对接专家"] == "expert" and shown["mapping"]["合同金额（万元）"] == "amount_wan"
    assert shown["rows"][0]["record"]["title"] == "机床铸件表面涂料开发 → 周建国（已签约）"
    assert shown["rows"][3]["reason"].startswith("当前阶段无法识别")
    assert client.get("/engagements", headers=staff).json() == []  # a preview stores nothing
    done = client.post("/engagements/bulk", params={"format": "xlsx"}, content=body, headers=staff).json()
    assert (done["accepted"], done["rejected"]) == (4, 2) and [r["line"] for r in done["rejects"]] == [5, 6]
    assert len(client.get("/engagements", headers=staff).json()) == 3
    is_problem(client.post("/engagements/bulk", params={"format": "xlsx"}, content=body,
                           headers=as_role(keys, "viewer")), 403)  # fmt: skip

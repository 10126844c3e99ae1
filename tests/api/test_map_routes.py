"""The technology map over HTTP: missing until built, then JSON, one topic, a workbook and the HTML report; unknown
regions, fields and topics are problems."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from matcher.map.build import MapParams, build_map
from matcher.services.feedback import record_feedback
from matcher.workspace.context import Context
from tests.api.conftest import as_role
from tests.api.test_routes import is_problem


def test_the_map_is_a_problem_until_built_then_served(
    client: TestClient, keys: dict[str, str], api_matcher: Context
) -> None:
    viewer = as_role(keys, "viewer")
    missing = is_problem(client.get("/map", headers=viewer), 503)
    assert missing["detail"] == "尚未生成技术图谱：请管理员生成图谱"
    build_map(api_matcher, params=MapParams(topics=2, min_size=1))
    body = client.get("/map", headers=viewer).json()
    assert (sum(t["outcomes"] for t in body["topics"]), sum(t["needs"] for t in body["topics"])) == (5, 2)
    # regions read off institution names, busiest first: 辽宁 holds 3 outcomes (沈铸所 ×2, 新松), the rest one record
    assert body["regions"] == ["辽宁", "上海", "未注明", "重庆", "黑龙江"]
    gaps = client.get("/map", params={"region": "黑龙江"}, headers=viewer).json()["gaps"]
    assert [g["region"] for g in gaps] == ["黑龙江"] and [n["id"] for n in gaps[0]["needs"]] == ["N1"]
    topic = client.get(f"/map/topics/{gaps[0]['topic']}", headers=viewer).json()
    assert "N1" in topic["needs"] and topic["topic"]["id"] == gaps[0]["topic"]


def test_map_files_and_problems(client: TestClient, keys: dict[str, str], api_matcher: Context) -> None:
    build_map(api_matcher, params=MapParams(topics=2, min_size=1))
    viewer = as_role(keys, "viewer")
    book = client.get("/map", params={"format": "xlsx"}, headers=viewer)
    assert load_workbook(io.BytesIO(book.content)).sheetnames == ["主题", "供需", "缺口", "优势"]
    report = client.get("/map/report", params={"region": "黑龙江"}, headers=viewer)
    assert report.headers["content-type"].startswith("text/html") and "技术图谱 · 黑龙江" in report.text
    assert "现有地区" in is_problem(client.get("/map", params={"region": "火星"}, headers=viewer), 404)["detail"]
    is_problem(client.get("/map", params={"field": "无此领域"}, headers=viewer), 404)
    is_problem(client.get("/map/topics/99", headers=viewer), 404)
    is_problem(client.get("/map"), 401)


def test_the_report_counts_feedback_recorded_after_the_build(
    client: TestClient, keys: dict[str, str], api_matcher: Context
) -> None:
    build_map(api_matcher, params=MapParams(topics=2, min_size=1))
    viewer = as_role(keys, "viewer")
    params = {"region": "黑龙江"}
    assert "<b>0 / 0</b>已对接 / 已签约" in client.get("/map/report", params=params, headers=viewer).text
    with api_matcher.session(write=True) as session:  # after the build: N1 (黑龙江) is signed
        for stage in ("contacted", "signed"):
            record_feedback(session, need_id="N1", level="outcome", target_id="O1", stage=stage, reason=None, actor="t")
    assert "<b>1 / 1</b>已对接 / 已签约" in client.get("/map/report", params=params, headers=viewer).text
    cells = client.get("/map", params=params, headers=viewer).json()["cells"]
    assert [(c["region"], c["met"], c["signed"]) for c in cells if c["met"]] == [("黑龙江", 1, 1)]

"""Pairings and plans over HTTP: JSON and spreadsheets, a plan stored and read back, bad input a problem."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.api.conftest import as_role
from tests.api.test_routes import is_problem


def test_pairings_as_json_and_workbook(client: TestClient, keys: dict[str, str]) -> None:
    viewer = as_role(keys, "viewer")
    pairs = client.get("/pairings", params={"region": "黑龙江", "min_degree": 0}, headers=viewer).json()
    assert pairs and {p["enterprise"] for p in pairs} == {"齐齐哈尔市重型铸造有限责任公司"}
    assert pairs[0]["needs"][0]["id"] == "N1" and pairs[0]["score"] == round(pairs[0]["needs"][0]["degree"] / 100, 4)
    book = client.get("/pairings", params={"format": "xlsx", "min_degree": 0}, headers=viewer)
    sheet = load_workbook(io.BytesIO(book.content))["企业—单位配对"]
    assert [c.value for c in sheet[1]][:3] == ["企业", "企业地区", "推荐单位"] and sheet.max_row > 1


def test_a_plan_is_made_stored_and_exported(client: TestClient, keys: dict[str, str]) -> None:
    body = {"kind": "visit", "enterprises": ["齐齐哈尔市重型铸造有限责任公司"], "k": 1, "min_degree": 0}
    made = client.post("/plans", json=body, headers=as_role(keys, "staff"))
    assert made.status_code == 201, made.text
    plan = made.json()
    assert made.headers["location"] == f"/plans/{plan['id']}" and plan["result"]["served"] == 1
    viewer = as_role(keys, "viewer")
    assert client.get(f"/plans/{plan['id']}", headers=viewer).json() == plan
    assert [p["id"] for p in client.get("/plans", headers=viewer).json()] == [plan["id"]]
    agenda = client.get(f"/plans/{plan['id']}/export", headers=viewer)
    assert load_workbook(io.BytesIO(agenda.content))["议程"].cell(2, 5).value == "N1"


def test_bad_plan_requests_are_problems(client: TestClient, keys: dict[str, str]) -> None:
    staff = as_role(keys, "staff")
    is_problem(client.post("/plans", json={"kind": "visit", "k": 1}, headers=staff), 422)
    is_problem(client.post("/plans", json={"kind": "delegation", "region": "火星", "k": 1}, headers=staff), 404)
    too_many = is_problem(
        client.post("/plans", json={"kind": "visit", "region": "黑龙江", "k": 40}, headers=staff), 409
    )
    assert "需要 40 个" in too_many["detail"]
    is_problem(
        client.post("/plans", json={"kind": "visit", "region": "黑龙江", "k": 1}, headers=as_role(keys, "viewer")), 403
    )
    is_problem(client.get("/plans/nope", headers=staff), 404)
    is_problem(client.get("/pairings", params={"region": " "}, headers=staff), 422)
    assert client.get("/plans", headers=staff).json() == []  # nothing stored by the failed requests

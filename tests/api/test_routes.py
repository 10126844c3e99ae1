"""Every route, success and failure paths (TestClient)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from matcher.store.tables import AuditEntry, Need
from matcher.workspace.context import Context
from tests.api.conftest import as_role

NEW_NEED = {
    "id": "N9",
    "title": "焊接机器人免示教编程",
    "description": "工程机械结构件焊接，希望视觉识别焊缝。",
    "organization": "某工程机械公司",
    "region": "江苏",
}


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and "detail" in body
    return body


def test_health_and_version_are_public(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["outcomes_indexed"] == 5
    assert client.get("/version").json()["version"]


def test_needs_require_a_key_and_roles_are_enforced(client: TestClient, keys: dict[str, str]) -> None:
    is_problem(client.get("/needs"), 401)
    is_problem(client.get("/needs", headers={"X-API-Key": "mk_wrong"}), 401)
    assert client.get("/needs", headers={"Authorization": f"Bearer {keys['viewer']}"}).status_code == 200
    is_problem(client.post("/needs", json=NEW_NEED, headers=as_role(keys, "viewer")), 403)
    is_problem(client.delete("/outcomes/O1", headers=as_role(keys, "staff")), 403)


def test_need_lifecycle_is_audited(client: TestClient, keys: dict[str, str], api_matcher: Context) -> None:
    staff = as_role(keys, "staff")
    created = client.post("/needs", json=NEW_NEED, headers=staff)
    assert created.status_code == 201 and created.json()["status"] == "open"
    is_problem(client.post("/needs", json=NEW_NEED, headers=staff), 409)
    page = client.get("/needs", params={"q": "焊接", "status": "open"}, headers=staff).json()
    assert page["total"] == 1 and page["items"][0]["id"] == "N9"
    patched = client.patch("/needs/N9", json={"region": "上海"}, headers=staff)
    assert patched.json()["region"] == "上海"
    assert client.post("/needs/N9/close", headers=staff).json()["status"] == "closed"
    with api_matcher.session() as session:
        actions = [(a.actor, a.action) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.pk))]
    assert actions == [("staff-user", "create"), ("staff-user", "update"), ("staff-user", "close")]


def test_need_validation_says_which_field(client: TestClient, keys: dict[str, str]) -> None:
    body = is_problem(client.post("/needs", json={"id": "N8", "title": ""}, headers=as_role(keys, "staff")), 422)
    assert body["errors"][0]["field"] == "title"
    is_problem(client.patch("/needs/N1", json={"status": "maybe"}, headers=as_role(keys, "staff")), 422)
    is_problem(client.patch("/needs/N1", json={"colour": "red"}, headers=as_role(keys, "staff")), 422)
    is_problem(client.get("/needs/nope", headers=as_role(keys, "viewer")), 404)
    is_problem(client.get("/needs", params={"limit": 0}, headers=as_role(keys, "viewer")), 422)


def test_matches_for_stored_need_and_text(client: TestClient, keys: dict[str, str]) -> None:
    viewer = as_role(keys, "viewer")
    experts = client.get("/needs/N1/matches", params={"level": "expert", "top": 3}, headers=viewer).json()
    assert experts["hits"][0]["name"] == "周建国" and experts["hits"][0]["evidence"]
    outcomes = client.post("/match", json={"text": "电池热失控预警", "level": "outcome", "top": 2}, headers=viewer)
    assert outcomes.status_code == 200 and outcomes.json()["hits"][0]["id"] == "O4"
    is_problem(client.get("/needs/N1/matches", params={"level": "team"}, headers=viewer), 422)
    is_problem(client.post("/match", json={"text": "字" * 20_001}, headers=viewer), 422)
    is_problem(client.get("/needs/zz/matches", headers=viewer), 404)


def test_feedback_stages_and_history(client: TestClient, keys: dict[str, str]) -> None:
    staff = as_role(keys, "staff")
    expert_id = client.get("/needs/N1/matches", headers=staff).json()["hits"][0]["id"]
    ok = client.post(
        "/needs/N1/feedback", json={"level": "expert", "target_id": expert_id, "stage": "contacted"}, headers=staff
    )
    assert ok.status_code == 201 and ok.json()["stage_zh"] == "已联系"
    is_problem(
        client.post(
            "/needs/N1/feedback", json={"level": "expert", "target_id": expert_id, "stage": "rejected"}, headers=staff
        ),
        422,
    )
    is_problem(
        client.post(
            "/needs/N1/feedback", json={"level": "expert", "target_id": "nobody", "stage": "contacted"}, headers=staff
        ),
        404,
    )
    history = client.get("/needs/N1/feedback", headers=as_role(keys, "viewer")).json()
    assert [h["stage"] for h in history] == ["contacted"]
    again = client.get("/needs/N1/matches", headers=staff).json()
    assert again["hits"][0]["stage"] == "contacted"


def test_catalog_crud(client: TestClient, keys: dict[str, str]) -> None:
    staff, admin = as_role(keys, "staff"), as_role(keys, "admin")
    assert client.get("/outcomes", params={"q": "涂料"}, headers=staff).json()["total"] == 2
    assert client.get("/outcomes/O1", headers=staff).json()["institution"]["name"] == "沈阳铸造研究所有限公司"
    new = {
        "id": "O9",
        "kind": "patent",
        "title": "一种焊缝识别方法",
        "institution": "哈工大",
        "experts": [{"name": "李明"}],
    }
    created = client.post("/outcomes", json=new, headers=staff)
    assert created.status_code == 201 and created.json()["institution"]["name"] == "哈尔滨工业大学"
    assert client.patch("/outcomes/O9", json={"year": 2024}, headers=staff).json()["year"] == 2024
    is_problem(client.patch("/outcomes/O9", json={"year": 1066}, headers=staff), 422)
    expert = client.post(
        "/experts", json={"name": "李明", "institution": "哈尔滨工业大学", "title": "教授"}, headers=staff
    )
    assert expert.status_code == 201 and expert.json()["title"] == "教授"
    inst = client.post("/institutions", json={"name": "哈尔滨工业大学", "type": "university"}, headers=staff)
    assert inst.json()["type"] == "university"
    assert client.delete("/outcomes/O9", headers=admin).status_code == 204
    is_problem(client.get("/outcomes/O9", headers=staff), 404)
    is_problem(client.get("/experts/none", headers=staff), 404)


def test_bulk_upload_reports_rejected_rows(client: TestClient, keys: dict[str, str], api_matcher: Context) -> None:
    rows = [json.dumps({"id": "B1", "title": "批量需求一"}, ensure_ascii=False), "{broken", json.dumps({"id": "B2"})]
    body = ("\n".join(rows) + "\n").encode("utf-8")
    result = client.post("/outcomes/bulk", params={"format": "jsonl"}, content=body, headers=as_role(keys, "staff"))
    assert result.status_code == 200
    report = result.json()
    assert (report["accepted"], report["rejected"]) == (1, 2)
    assert [r["line"] for r in report["rejects"]] == [2, 3]
    not_utf8 = client.post(
        "/outcomes/bulk", params={"format": "jsonl"}, content=b"\xff\xfe\x00", headers=as_role(keys, "staff")
    )
    assert not_utf8.status_code == 200 and not_utf8.json()["rejected"] == 1  # a bad line is a rejected row


def test_oversize_body_and_broken_encoding(client: TestClient, keys: dict[str, str], api_matcher: Context) -> None:
    staff = as_role(keys, "staff")
    big = b'{"text": "' + b"a" * 6_000_000 + b'"}'
    is_problem(client.post("/match", content=big, headers={**staff, "Content-Type": "application/json"}), 413)
    broken = client.post(
        "/needs", content=b'{"id": "X", "title": "\xff"}', headers={**staff, "Content-Type": "application/json"}
    )
    is_problem(broken, 400)
    with api_matcher.session() as session:
        assert session.scalar(select(Need).where(Need.id == "X")) is None


def test_staff_page_is_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "产学研供需对接" in page.text
    assert client.get("/static/app.js").status_code == 200

"""Staff files through the API: a preview that stores nothing, a column changed by hand, every committed batch on
record, contacts shown to staff and never to viewers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from matcher.store.tables import AuditEntry, Need
from matcher.workspace.context import Context
from tests.api.conftest import as_role
from tests.test_staff_files import NEED_HEADERS, NEED_ROWS, docx_form, xlsx


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_preview_shows_the_map_and_stores_nothing_then_an_override_imports(
    client: TestClient, keys: dict[str, str], api_matcher: Context, tmp_path: Path
) -> None:
    staff = as_role(keys, "staff")
    body = _bytes(xlsx(tmp_path / "n.xlsx", ["序号", "课题", *NEED_HEADERS[2:]], NEED_ROWS))
    refused = client.post("/needs/bulk", params={"format": "xlsx", "preview": "true"}, content=body, headers=staff)
    assert refused.status_code == 200 and "找不到可作为 title 的列" in refused.json()["error"]
    bad = client.post("/needs/bulk", params={"format": "xlsx", "map": "课题=colour"}, content=body, headers=staff)
    assert bad.status_code == 422
    shown = client.post(
        "/needs/bulk", params={"format": "xlsx", "preview": "true", "map": "课题=title"}, content=body, headers=staff
    ).json()
    assert shown["mapping"]["课题"] == "title" and shown["ignored"] == ["序号"] and "title" in shown["fields"]
    first = shown["rows"][0]["record"]
    assert first["title"] == "高档机床铸件涂料开发" and first["region"] == "黑龙江"
    with api_matcher.session() as session:
        assert session.scalar(select(func.count()).select_from(Need)) == 2  # the fixture's two: nothing stored
    done = client.post("/needs/bulk", params={"format": "xlsx", "map": "课题=title"}, content=body, headers=staff)
    assert done.status_code == 200 and done.json()["accepted"] == 2 and done.json()["mapping"]["课题"] == "title"


def test_every_committed_batch_is_audited_and_contacts_are_for_staff(
    client: TestClient, keys: dict[str, str], api_matcher: Context, tmp_path: Path
) -> None:
    api_matcher.settings.import_batch_size = 1  # two rows: two batches, each audited in its own transaction
    staff, viewer = as_role(keys, "staff"), as_role(keys, "viewer")
    body = _bytes(xlsx(tmp_path / "n.xlsx", NEED_HEADERS, NEED_ROWS))
    assert client.post("/needs/bulk", params={"format": "xlsx"}, content=body, headers=staff).json()["accepted"] == 2
    with api_matcher.session() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.resource == "needs")))
    assert actions == ["bulk-batch", "bulk-batch", "bulk"]
    listed = client.get("/needs", params={"q": "铸件"}, headers=staff).json()["items"]
    need_id = next(n["id"] for n in listed if n["title"] == "高档机床铸件涂料开发")
    assert client.get(f"/needs/{need_id}", headers=staff).json()["contacts"] == {"name": "王工", "phone": "13800000000"}
    assert client.get(f"/needs/{need_id}", headers=viewer).json()["contacts"] is None
    assert all(n["contacts"] is None for n in client.get("/needs", headers=viewer).json()["items"])


def test_a_docx_form_uploads(client: TestClient, keys: dict[str, str], tmp_path: Path) -> None:
    cells = [("需求名称", "污泥资源化"), ("需求内容", "提高产气率"), ("企业名称", "水务集团")]
    body = _bytes(docx_form(tmp_path / "f.docx", cells))
    got = client.post("/needs/bulk", params={"format": "docx"}, content=body, headers=as_role(keys, "staff"))
    assert got.status_code == 200 and got.json()["accepted"] == 1 and got.json()["source"] == "docx"


def test_a_rejected_row_holding_a_line_separator_is_reported_not_a_500(
    client: TestClient, keys: dict[str, str]
) -> None:
    staff = as_role(keys, "staff")
    body = "not json \u2028 here\n".encode()
    answer = client.post("/outcomes/bulk", params={"format": "jsonl"}, content=body, headers=staff)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == 1 and len(answer.json()["rejects"]) == 1

"""Issue 41 through the API: an upload's counts, the change history on a record's detail (contacts to staff only),
possible duplicates confirmed or rejected, a merge undone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import as_role


def test_counts_history_duplicates_and_unmerge(client: TestClient, keys: dict[str, str]) -> None:
    staff, viewer = as_role(keys, "staff"), as_role(keys, "viewer")
    first = "姓名,单位,职称,电话\n王芳,重庆大学,教授,13800000001\n".encode()
    done = client.post("/experts/bulk", params={"format": "csv"}, content=first, headers=staff).json()
    assert done["counts"] == {"created": 1, "rejected": 0} and done["matched_stored"] == 0
    second = "姓名,单位,职称,电话\n王芳,重庆大学,讲师,13800000002\n".encode()
    done = client.post("/experts/bulk", params={"format": "csv"}, content=second, headers=staff).json()
    assert done["counts"] == {"possible_duplicates": 1, "rejected": 0}
    (dup,) = client.get("/experts/duplicates", headers=staff).json()
    assert (dup["expert"]["title"], dup["other"]["title"]) == ("教授", "讲师")
    assert client.post(f"/experts/duplicates/{dup['pk']}/reject", headers=staff).json() == {"status": "rejected"}
    again = client.post(f"/experts/duplicates/{dup['pk']}/reject", headers=staff)
    assert again.status_code == 409 and "已处理" in again.json()["detail"]
    # the first file again: nothing changes; an edit through the API is on record
    done = client.post("/experts/bulk", params={"format": "csv"}, content=first, headers=staff).json()
    assert done["counts"] == {"unchanged": 1, "rejected": 0}
    expert_id = dup["expert"]["id"]
    patched = client.patch(f"/experts/{expert_id}", json={"capacity": 4}, headers=staff)
    assert patched.status_code == 200
    detail = client.get(f"/experts/{expert_id}", headers=staff).json()
    assert [(h["field"], h["old"], h["new"], h["source"]) for h in detail["history"]] == [("capacity", None, 4, "API")]
    assert detail["history"][0]["actor"]
    # an agreeing phone merges; the merge is undone through the API
    third = "姓名,单位,研究方向,电话\n王芳,重庆大学,铸造,13800000001\n".encode()
    done = client.post("/experts/bulk", params={"format": "csv"}, content=third, headers=staff).json()
    assert done["counts"] == {"merged": 1, "rejected": 0} and done["merged"] == 1
    merge = client.get("/experts/merges", headers=staff).json()[0]
    assert merge["evidence"] == ["电话相同"] and merge["source"].startswith("上传文件 ")
    assert client.get(f"/experts/{expert_id}", headers=staff).json()["fields"] == ["铸造"]
    undone = client.post(f"/experts/merges/{merge['pk']}/unmerge", headers=staff).json()
    assert undone["kept"] == expert_id and client.get(f"/experts/{expert_id}", headers=staff).json()["fields"] == []
    assert client.get(f"/experts/{undone['restored']}", headers=staff).json()["fields"] == ["铸造"]
    viewed = client.get(f"/experts/{expert_id}", headers=viewer).json()
    assert all(h["field"] != "contacts" for h in viewed["history"]) and viewed["contacts"] is None


def test_a_need_edit_and_close_are_on_its_record(client: TestClient, keys: dict[str, str]) -> None:
    staff = as_role(keys, "staff")
    sheet = "需求编号,需求名称,需求描述\nH-1,铸件涂料开发,抗粘砂能力不足\n".encode()
    assert client.post("/needs/bulk", params={"format": "csv"}, content=sheet, headers=staff).json()["counts"] == {
        "created": 1,
        "rejected": 0,
    }
    assert client.post("/needs/H-1/close", headers=staff).status_code == 200
    history = client.get("/needs/H-1", headers=staff).json()["history"]
    assert [(h["field"], h["old"], h["new"], h["source"]) for h in history] == [("status", "open", "closed", "API")]

"""The 标注 routes: pairs to judge, judging and skipping, a need's judgements, the counts, the qrels export, and
retraining (admins only; too few judgements is a clear refusal)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import as_role
from tests.api.test_routes import is_problem


def test_judge_pairs_the_page_is_offered(client: TestClient, keys: dict[str, str]) -> None:
    staff, viewer = as_role(keys, "staff"), as_role(keys, "viewer")
    is_problem(client.get("/judgements/next", headers=viewer), 403)
    offered = client.get("/judgements/next", params={"count": 4}, headers=staff).json()
    assert len(offered) == 4 and {p["need_id"] for p in offered} == {"N1", "N2"}  # both needs of the tiny corpus
    assert all(p["kind_zh"] in ("专利", "论文", "项目", "成果") and p["title"] for p in offered)
    first, second = offered[0], offered[1]
    made = client.post("/judgements", json={"need_id": first["need_id"], "target_id": first["target_id"], "grade": 3},
                       headers=staff)  # fmt: skip
    assert made.status_code == 201 and made.json()["grade_zh"] == "非常相关"
    skipped = client.post("/judgements", json={"need_id": second["need_id"], "target_id": second["target_id"],
                                                "grade": None}, headers=staff)  # fmt: skip
    assert skipped.json()["grade_zh"] == "跳过"
    again = client.get("/judgements/next", params={"count": 10}, headers=staff).json()
    decided = {(p["need_id"], p["target_id"]) for p in (first, second)}
    assert not decided & {(p["need_id"], p["target_id"]) for p in again}
    mine = client.get("/judgements", params={"need_id": first["need_id"]}, headers=viewer).json()
    assert [(j["target_id"], j["grade"]) for j in mine if j["grade"] is not None] == [(first["target_id"], 3)]
    counts = client.get("/judgements/summary", headers=viewer).json()
    assert (counts["judged"], counts["skipped"], counts["by_grade"]) == (1, 1, {"非常相关": 1})
    exported = client.get("/judgements/export", headers=staff)
    assert exported.text == f"{first['need_id']} 0 {first['target_id']} 3\n"


def test_bad_judgements_are_refused(client: TestClient, keys: dict[str, str]) -> None:
    staff = as_role(keys, "staff")
    is_problem(client.post("/judgements", json={"need_id": "N1", "target_id": "O1", "grade": 4}, headers=staff), 422)
    is_problem(client.post("/judgements", json={"need_id": "N1", "target_id": "O1"}, headers=staff), 422)
    is_problem(client.post("/judgements", json={"need_id": "N1", "target_id": "nope", "grade": 1}, headers=staff), 404)
    is_problem(client.post("/judgements", json={"need_id": "N9", "target_id": "O1", "grade": 1}, headers=staff), 404)


def test_retraining_is_for_admins_and_says_when_judgements_are_too_few(
    client: TestClient, keys: dict[str, str]
) -> None:
    is_problem(client.post("/judgements/retrain", headers=as_role(keys, "staff")), 403)
    refused = is_problem(client.post("/judgements/retrain", headers=as_role(keys, "admin")), 409)
    assert "判断还不够" in refused["detail"]

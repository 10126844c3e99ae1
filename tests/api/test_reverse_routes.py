"""成果找企业 over HTTP: needs and enterprises for an outcome, an expert, an institution and outcome text; the
stage staff recorded on a pairing shows in both directions; bad input is a problem, never a 500."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.api.conftest import as_role
from tests.api.test_routes import is_problem


def test_an_outcome_finds_needs_and_enterprises(client: TestClient, keys: dict[str, str]) -> None:
    viewer = as_role(keys, "viewer")
    needs = client.get("/outcomes/O1/matches", headers=viewer).json()
    assert needs["target"] == "needs" and needs["probe"] == "outcome"
    assert needs["hits"][0]["id"] == "N1" and needs["hits"][0]["stage"] is None
    assert needs["hits"][0]["evidence"][0]["outcome_id"] == "O1"
    firms = client.get("/outcomes/O1/matches", params={"for": "enterprises"}, headers=viewer).json()
    assert firms["hits"][0]["name"] == "齐齐哈尔市重型铸造有限责任公司" and firms["hits"][0]["n_needs"] == 1


def test_feedback_on_a_pairing_shows_in_the_reverse_direction(client: TestClient, keys: dict[str, str]) -> None:
    body = {"level": "expert", "target_id": "E1", "stage": "contacted"}
    assert client.post("/needs/N1/feedback", json=body, headers=as_role(keys, "staff")).status_code == 201
    hits = client.get("/experts/E1/matches", headers=as_role(keys, "viewer")).json()["hits"]
    assert {h["id"]: h["stage"] for h in hits}["N1"] == "contacted"


def test_institution_by_name_or_alias_and_outcome_text(client: TestClient, keys: dict[str, str]) -> None:
    viewer = as_role(keys, "viewer")
    by_alias = client.get(f"/institutions/{quote('上海交大')}/matches", headers=viewer).json()
    assert by_alias["probe"] == "institution" and by_alias["hits"][0]["id"] == "N2"
    text = {"text": "锆英粉铸造涂料，提高铸件表面光洁度", "target": "needs", "top": 1}
    assert client.post("/reverse-match", json=text, headers=viewer).json()["hits"][0]["id"] == "N1"


def test_bad_reverse_requests_are_problems(client: TestClient, keys: dict[str, str]) -> None:
    viewer = as_role(keys, "viewer")
    missing = is_problem(client.get("/outcomes/missing/matches", headers=viewer), 404)
    assert missing["detail"] == "找不到成果（编号 missing）"
    is_problem(client.get("/experts/missing/matches", headers=viewer), 404)
    is_problem(client.get(f"/institutions/{quote('不存在大学')}/matches", headers=viewer), 404)
    is_problem(client.get("/outcomes/O1/matches", params={"for": "people"}, headers=viewer), 422)
    is_problem(client.get("/outcomes/O1/matches", params={"region": " "}, headers=viewer), 422)
    is_problem(client.post("/reverse-match", json={"text": ""}, headers=viewer), 422)
    is_problem(client.get("/outcomes/O1/matches"), 401)

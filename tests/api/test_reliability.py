"""What a hostile and a busy day broke, each pinned: body limits before any read, writes that change exactly the
row they name, concurrent duplicates, ids that cannot travel in a URL, literal search, anonymous garbage."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.guard import Guard
from matcher.store.tables import AuditEntry, Institution
from matcher.workspace.context import Context
from tests.api.conftest import as_role
from tests.api.live import live_server


def _call(guard: Guard, headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[list[int], int]:
    """Send an endless chunked body of 1 MB pieces; the statuses sent back and how many pieces were read."""
    reads, sent = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": reads < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    scope = {"type": "http", "method": "POST", "path": "/match", "headers": headers, "query_string": b""}
    asyncio.run(guard(scope, receive, send))  # type: ignore[arg-type]
    return sent, reads


async def _never_called(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the app must not see this request")


def test_chunked_oversize_body_is_refused_before_it_is_read() -> None:
    guard = Guard(_never_called, limit=5_000_000)
    statuses, reads = _call(guard, [(b"x-api-key", b"k")], chunks=300)  # a 300 MB chunked body
    assert statuses == [413] and reads == 6  # stopped at the first megabyte past the limit


def test_anonymous_requests_are_refused_before_any_body_read() -> None:
    statuses, reads = _call(Guard(_never_called, limit=5_000_000), [], chunks=300)
    assert statuses == [401] and reads == 0


def test_institution_write_changes_exactly_the_row_it_names(
    client: TestClient, keys: dict[str, str], api_matcher: Context
) -> None:
    staff = as_role(keys, "staff")
    made = client.post("/institutions", json={"id": "AZ-I1", "name": "甲大学", "region": "重庆"}, headers=staff)
    assert made.status_code == 201
    listed = client.get("/institutions", params={"q": "重庆大学"}, headers=staff).json()["items"]
    other = next(i["id"] for i in listed if i["name"] == "重庆大学")  # stored with the corpus's outcomes

    def snapshot() -> tuple[list[tuple[str, str, str | None, str | None]], int]:
        with api_matcher.session() as s:
            rows = s.execute(select(Institution.id, Institution.name, Institution.type, Institution.region))
            return sorted(tuple(r) for r in rows), s.scalar(select(func.count()).select_from(AuditEntry)) or 0

    before = snapshot()
    clash = client.patch("/institutions/AZ-I1", json={"name": "重庆大学", "type": "institute"}, headers=staff)
    assert clash.status_code == 409 and other in clash.json()["detail"]
    taken = client.post("/institutions", json={"id": "NEW-I9", "name": "重庆大学 ", "region": "四川"}, headers=staff)
    assert taken.status_code == 409
    assert snapshot() == before  # nothing changed, nothing audited
    renamed = client.patch("/institutions/AZ-I1", json={"name": "甲理工大学"}, headers=staff)
    assert renamed.status_code == 200 and renamed.json()["id"] == "AZ-I1" and renamed.json()["name"] == "甲理工大学"


@pytest.mark.parametrize("bad", ["a/b", ".", "..", "x y"])
def test_ids_that_cannot_travel_in_a_url_are_422(client: TestClient, keys: dict[str, str], bad: str) -> None:
    response = client.post("/needs", json={"id": bad, "title": "标题"}, headers=as_role(keys, "staff"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "id"


def test_search_terms_are_literal(client: TestClient, keys: dict[str, str]) -> None:
    viewer = as_role(keys, "viewer")
    assert client.get("/needs", params={"q": "%"}, headers=viewer).json()["total"] == 0
    assert client.get("/needs", params={"q": "_"}, headers=viewer).json()["total"] == 0
    assert client.get("/needs", params={"q": "电池"}, headers=viewer).json()["total"] == 1
    assert client.get("/outcomes", params={"q": "%"}, headers=viewer).json()["total"] == 0


def test_anonymous_garbage_is_401_and_the_page_has_an_icon(client: TestClient) -> None:
    response = client.post("/needs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    assert client.get("/favicon.ico").status_code == 200


def test_concurrent_creates_of_one_id_give_one_201_and_409s(api_matcher: Context, keys: dict[str, str]) -> None:
    app = create_app(api_matcher.settings, matcher=api_matcher)
    body = {"id": "SAME-1", "title": "同一编号的需求", "description": "并发创建"}
    with live_server(app) as url, httpx.Client(timeout=60) as http, ThreadPoolExecutor(12) as pool:
        statuses = list(
            pool.map(
                lambda _: http.post(f"{url}/needs", json=body, headers=as_role(keys, "staff")).status_code, range(12)
            )
        )
    assert sorted(statuses) == [201] + [409] * 11


def test_nul_anywhere_is_refused_or_cleaned_never_a_server_error(client: TestClient, keys: dict[str, str]) -> None:
    staff, viewer = as_role(keys, "staff"), as_role(keys, "viewer")
    for url in ("/needs?q=%00", "/needs/a%00b", "/pairings?region=%00", "/institutions/%00/matches", "/experts?q=a%00"):
        got = client.get(url, headers=viewer)
        assert got.status_code == 422 and got.headers["content-type"] == "application/problem+json", url
    made = client.post("/needs", json={"id": "NUL-1", "title": "铸件\x00涂料", "organization": "\x00"}, headers=staff)
    assert made.status_code == 201 and made.json()["title"] == "铸件涂料" and made.json()["organization"] is None
    plan = {"kind": "visit", "region": "黑龙江\x00", "k": 1, "min_degree": 0}
    assert client.post("/plans", json=plan, headers=staff).status_code < 500
    blank = {"expert_id": "E1", "organization": "\u200b", "reason": "已有合作"}
    assert client.post("/exclusions", json=blank, headers=staff).status_code == 422


def test_the_same_exclusion_twice_is_one_row_and_plans_refuse_unknown_fields(
    client: TestClient, keys: dict[str, str]
) -> None:
    staff = as_role(keys, "staff")
    body = {"expert_id": "E1", "organization": "齐齐哈尔市重型铸造有限责任公司", "reason": "已有合作"}
    first = client.post("/exclusions", json=body, headers=staff).json()
    again = client.post("/exclusions", json={**body, "reason": "仍在合作"}, headers=staff).json()
    assert again["id"] == first["id"] and again["reason"] == "仍在合作"
    assert len(client.get("/exclusions", headers=staff).json()) == 1
    plan = {"kind": "visit", "region": "黑龙江", "k": 1, "stopz": 3}
    refused = client.post("/plans", json=plan, headers=staff)
    assert refused.status_code == 422 and "stopz" in refused.text

"""Every domain error has a problem type, and the service answers it with that status as problem details."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import problems
from matcher import errors


def _all_errors() -> list[type[errors.MatcherError]]:
    found, todo = [], [errors.MatcherError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


EXPECTED = {
    "AuthError": 401,
    "ForbiddenError": 403,
    "NotFoundError": 404,
    "ConflictError": 409,
    "InputError": 422,
    "IndexMissingError": 503,
    "IndexMismatchError": 503,
    "ModelMissingError": 503,
    "ModelMismatchError": 503,
    "EmbedderError": 503,
    "ConfigError": 503,
}


def test_every_error_class_is_mapped_by_its_own_entry() -> None:
    assert set(_all_errors()) == set(problems.PROBLEMS)


@pytest.mark.parametrize("cls", _all_errors(), ids=lambda c: c.__name__)
def test_error_class_becomes_its_problem(cls: type[errors.MatcherError]) -> None:
    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise cls("what failed")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    kind = problems.PROBLEMS[cls]
    assert response.status_code == kind.status == EXPECTED.get(cls.__name__, kind.status)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == problems.TYPE_PREFIX + kind.slug
    assert body["detail"] == (kind.public or "what failed")  # server-side details (paths) stay in the log
    assert body["title"] == kind.title and body["status"] == kind.status

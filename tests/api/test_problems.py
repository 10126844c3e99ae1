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
        raise cls("出错了 what failed")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    kind = problems.PROBLEMS[cls]
    assert response.status_code == kind.status == EXPECTED.get(cls.__name__, kind.status)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == problems.TYPE_PREFIX + kind.slug
    assert body["detail"] == (kind.public or "出错了 what failed")  # server-side details (paths) stay in the log
    assert body["title"] == kind.title and body["status"] == kind.status


@pytest.mark.parametrize(
    ("said", "status", "shown"),
    [
        (
            'duplicate key value violates unique constraint "institutions_id_key" DETAIL: Key (id)=(I1)',
            409,
            "与现有数据冲突，请刷新后重试",
        ),
        ("level must be one of outcome, expert, institution", 422, "输入有误，请检查后重试"),
        ("索引缺失：/srv/matcher/index/params.json", 404, "未找到所请求的内容"),
        ("ModelMismatchError：已损坏", 409, "与现有数据冲突，请刷新后重试"),
        ("需求 N1 已关闭，不再记录对接进展", 409, "需求 N1 已关闭，不再记录对接进展"),
    ],
)
def test_a_detail_a_person_cannot_read_is_replaced_by_chinese_words(said: str, status: int, shown: str) -> None:
    assert problems.readable(said, status) == shown


def test_pydantic_errors_read_in_chinese_with_their_field_named() -> None:
    error = {"type": "model_attributes_type", "loc": ("body", "experts", 0),
             "msg": "Input should be a valid dictionary or object to extract fields from"}  # fmt: skip
    assert problems.message_zh(error) == "须为对象（键值对）"
    assert problems.field_zh("experts.0") == "专家第 1 项"
    assert problems.field_zh("experts.1.name") == "专家第 2 项的名称"
    assert problems.message_zh({"type": "some_new_type", "msg": "Something odd"}) == "格式不对"

"""RFC 9457 problem details for every error the service returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher import errors as E
from matcher.words_zh import CJK, UNREADABLE, field_zh, message_zh

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:matcher:problem:"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    slug: str  # the problem type is TYPE_PREFIX + slug
    public: str | None = None  # shown instead of the exception's text (which may name server paths); logged


# every MatcherError class, by its exact class (a test checks that none is missing)
PROBLEMS: dict[type[E.MatcherError], ProblemType] = {
    E.MatcherError: ProblemType(500, "服务器内部错误", "error"),
    E.AuthError: ProblemType(401, "未登录或密钥无效", "unauthorized"),
    E.ForbiddenError: ProblemType(403, "无权限", "forbidden"),
    E.NotFoundError: ProblemType(404, "未找到", "not-found"),
    E.ConflictError: ProblemType(409, "与现有数据冲突", "conflict"),
    E.InputError: ProblemType(422, "输入有误", "invalid-input"),
    E.ConfigError: ProblemType(503, "服务配置有误", "misconfigured", "服务配置有误，请联系管理员"),
    E.EmbedderError: ProblemType(503, "语义模型不可用", "embedder-unavailable", "语义模型暂不可用，请联系管理员"),
    E.ArtifactError: ProblemType(503, "数据文件不可用", "artifact-unusable", "已保存的数据文件不可用，请联系管理员"),
    E.ArtifactMissingError: ProblemType(503, "数据文件缺失", "artifact-missing", "已保存的数据文件缺失，请联系管理员"),
    E.ArtifactMismatchError: ProblemType(
        503, "数据文件不可用", "artifact-unusable", "已保存的数据文件不可用，请联系管理员"
    ),
    E.IndexMissingError: ProblemType(
        503, "尚未建立检索索引", "index-missing", "尚未建立检索索引：请管理员导入数据后建立索引"
    ),
    E.IndexMismatchError: ProblemType(
        503, "检索索引不可用", "index-unusable", "检索索引已损坏或由其他语义模型建立：请管理员重建索引"
    ),
    E.MapMissingError: ProblemType(503, "尚未生成技术图谱", "map-missing", "尚未生成技术图谱：请管理员生成图谱"),
    E.MapMismatchError: ProblemType(503, "技术图谱不可用", "map-unusable", "技术图谱已损坏：请管理员重新生成"),
    E.ModelMissingError: ProblemType(503, "排序模型缺失", "model-missing", "配置的排序模型缺失，请联系管理员"),
    E.ModelMismatchError: ProblemType(
        503, "排序模型不可用", "model-unusable", "排序模型已损坏或与当前特征不符：请管理员重新训练"
    ),
}
# the Chinese words of HTTP statuses a staff member may meet outside the domain errors
STATUS_ZH = {400: "请求有误", 401: "未登录或密钥无效", 403: "无权限", 404: "未找到", 405: "不支持此操作",
             409: "与现有数据冲突", 413: "上传内容过大", 415: "不支持的内容类型", 422: "输入有误",
             429: "请求过于频繁", 500: "服务器内部错误", 503: "服务暂不可用"}  # fmt: skip
GENERIC_ZH = {400: "请求有误，请检查后重试", 404: "未找到所请求的内容", 409: "与现有数据冲突，请刷新后重试",
              422: "输入有误，请检查后重试"}  # fmt: skip


def readable(text: str, status: int) -> str:
    """`text` when a person can read it (Chinese, no SQL, paths, class names or English sentences); else the
    status's Chinese words (the original is logged)."""
    if CJK.search(text) and not UNREADABLE.search(text):
        return text
    log.info("detail not shown to the user (status %s): %s", status, text)
    return GENERIC_ZH.get(status) or STATUS_ZH.get(status, "请求未完成")


def problem_type(exc: E.MatcherError) -> ProblemType:
    """The entry of the nearest class in the exception's MRO."""
    return next(PROBLEMS[c] for c in type(exc).__mro__ if c in PROBLEMS)


def problem(
    status: int,
    title: str,
    detail: str,
    request: Request,
    headers: Mapping[str, str] | None = None,
    *,
    type_: str = "about:blank",
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(request.url.path),
        **extra,
    }
    merged = dict(headers or {})
    if status == 401:
        merged["WWW-Authenticate"] = 'Bearer realm="matcher"'
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=merged or None)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, E.MatcherError)
    kind = problem_type(exc)
    if kind.status >= 500:
        log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    detail = kind.public or readable(str(exc), kind.status)
    return problem(kind.status, kind.title, detail, request, type_=TYPE_PREFIX + kind.slug)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path")) or "body"
        errors.append({"field": field, "message": message_zh(err), "type": err.get("type")})
    detail = "；".join(f"{field_zh(e['field'])}：{e['message']}" for e in errors[:5])
    return problem(422, "输入有误", detail, request, errors=errors)


def _allowed_methods(request: Request) -> str:
    """Every method some route accepts for this path (Starlette names only the first matching route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        return problem(405, STATUS_ZH[405], "此地址不支持该操作", request, headers={"Allow": _allowed_methods(request)})
    detail = "找不到该地址" if exc.status_code == 404 else readable(str(exc.detail), exc.status_code)
    return problem(exc.status_code, _reason(exc.status_code), detail, request, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return problem(500, STATUS_ZH[500], "服务器出现意外错误，已记录，请稍后重试或联系管理员", request)


def _reason(status: int) -> str:
    return STATUS_ZH.get(status, "请求未完成")


def install(app: FastAPI) -> None:
    app.add_exception_handler(E.MatcherError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)

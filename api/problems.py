"""RFC 9457 problem details for every error the service returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    MatcherError,
    NotFoundError,
)

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
STATUS: list[tuple[type[MatcherError], int, str]] = [
    (AuthError, 401, "Unauthorized"),
    (ForbiddenError, 403, "Forbidden"),
    (NotFoundError, 404, "Not Found"),
    (ConflictError, 409, "Conflict"),
    (InputError, 422, "Unprocessable Content"),
    (IndexMissingError, 503, "Index Not Built"),
    (IndexMismatchError, 503, "Index Unusable"),
    (ConfigError, 503, "Service Misconfigured"),
]


def problem(
    status: int, title: str, detail: str, request: Request, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": "about:blank",
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
    for cls, status, title in STATUS:
        if isinstance(exc, cls):
            return problem(status, title, str(exc), request)
    return problem(500, "Internal Server Error", str(exc), request)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body") or "body", "message": err["msg"]}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(422, "Validation Failed", detail, request, errors=errors)


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
        return problem(
            405, "Method Not Allowed", str(exc.detail), request, headers={"Allow": _allowed_methods(request)}
        )
    return problem(exc.status_code, _reason(exc.status_code), str(exc.detail), request, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return problem(500, "Internal Server Error", "unexpected error; it was logged", request)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install(app: FastAPI) -> None:
    app.add_exception_handler(MatcherError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)

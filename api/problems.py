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
    E.MatcherError: ProblemType(500, "Internal Server Error", "error"),
    E.AuthError: ProblemType(401, "Unauthorized", "unauthorized"),
    E.ForbiddenError: ProblemType(403, "Forbidden", "forbidden"),
    E.NotFoundError: ProblemType(404, "Not Found", "not-found"),
    E.ConflictError: ProblemType(409, "Conflict", "conflict"),
    E.InputError: ProblemType(422, "Unprocessable Content", "invalid-input"),
    E.ConfigError: ProblemType(503, "Service Misconfigured", "misconfigured", "the service is misconfigured"),
    E.EmbedderError: ProblemType(
        503, "Embedder Unavailable", "embedder-unavailable", "the embedding model is unavailable"
    ),
    E.ArtifactError: ProblemType(503, "Artifact Unusable", "artifact-unusable", "a saved artifact is unusable"),
    E.ArtifactMissingError: ProblemType(503, "Artifact Missing", "artifact-missing", "a saved artifact is missing"),
    E.ArtifactMismatchError: ProblemType(503, "Artifact Unusable", "artifact-unusable", "a saved artifact is unusable"),
    E.IndexMissingError: ProblemType(
        503, "Index Not Built", "index-missing", "no search index yet: an administrator runs `matcher index build`"
    ),
    E.IndexMismatchError: ProblemType(
        503,
        "Index Unusable",
        "index-unusable",
        "the search index is corrupted or was built with another embedder: an administrator runs "
        "`matcher index build` (it rebuilds an unusable index from scratch)",
    ),
    E.MapMissingError: ProblemType(
        503, "Map Not Built", "map-missing", "no technology map yet: an administrator runs `matcher map build`"
    ),
    E.MapMismatchError: ProblemType(
        503, "Map Unusable", "map-unusable", "the technology map is corrupted: an administrator rebuilds it (map build)"
    ),
    E.ModelMissingError: ProblemType(503, "Model Missing", "model-missing", "a configured ranker is missing"),
    E.ModelMismatchError: ProblemType(
        503, "Model Unusable", "model-unusable", "a ranker is corrupted or was trained on other features: retrain it"
    ),
}


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
    return problem(kind.status, kind.title, kind.public or str(exc), request, type_=TYPE_PREFIX + kind.slug)


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
    app.add_exception_handler(E.MatcherError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)

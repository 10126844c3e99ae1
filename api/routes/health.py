"""Health and version (no key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ContextDep
from api.schemas.health import Health
from matcher import __version__
from matcher.embed.precision import describe
from matcher.errors import ArtifactError, ArtifactMissingError
from matcher.learn.models import model_problems, served_model
from matcher.levels import OUTCOME
from matcher.match import forward
from matcher.workspace import data, publish
from matcher.workspace.live import LiveIndexer, live_status

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Service health: index and ranker in use")
def health(matcher: ContextDep) -> Health:
    try:
        manifest = data.index_manifest(matcher)
    except ArtifactError as exc:
        status = "no-index" if isinstance(exc, ArtifactMissingError) else "index-unusable"
        return Health(status=status, version=__version__, outcomes_indexed=None, embedder=None, ranker=None)
    problems = model_problems(matcher)  # a model that cannot load, or an earlier one served instead
    try:
        ranker, _ = forward.served_ranker(matcher, OUTCOME)
    except ArtifactError:
        ranker = None
    return Health(
        status="degraded" if problems else "ok",
        version=__version__,
        outcomes_indexed=manifest.get("count"),
        embedder=manifest.get("embedder"),
        ranker=ranker.name if ranker else None,
        problems=problems,
    )


@router.get("/health/live", summary="Liveness: the process answers (for a load balancer)")
def live() -> dict[str, str]:
    return {"status": "live"}


@router.get("/health/ready", summary="Readiness: an index is served (503 until then)")
def ready(matcher: ContextDep) -> Any:
    try:
        manifest = data.index_manifest(matcher)
    except ArtifactError:
        return JSONResponse({"status": "not-ready", "detail": "尚未建立检索索引"}, status_code=503)
    return {"status": "ready", "outcomes_indexed": manifest.get("count")}


@router.get("/version", summary="Version, embedding path, served model and snapshot, change-feed position")
def version(matcher: ContextDep, request: Request) -> dict[str, Any]:
    s = matcher.settings
    live: LiveIndexer = request.app.state.live
    return {
        "version": __version__,
        "embedding": describe(s.embedder, s.embed_precision),
        "model": served_model(matcher),
        "snapshot": publish.local_id(matcher),
        "index": live_status(matcher, live.status),
    }

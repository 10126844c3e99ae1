"""Health and version (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep
from api.schemas.health import Health
from matcher import __version__
from matcher.embed.precision import describe
from matcher.errors import ArtifactError, ArtifactMissingError
from matcher.levels import OUTCOME
from matcher.match import forward
from matcher.workspace import data

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Service health: index and ranker in use")
def health(matcher: ContextDep) -> Health:
    try:
        manifest = data.index_manifest(matcher)
    except ArtifactError as exc:
        status = "no-index" if isinstance(exc, ArtifactMissingError) else "index-unusable"
        return Health(status=status, version=__version__, outcomes_indexed=None, embedder=None, ranker=None)
    ranker, _ = forward.served_ranker(matcher, OUTCOME)
    return Health(
        status="ok",
        version=__version__,
        outcomes_indexed=manifest.get("count"),
        embedder=manifest.get("embedder"),
        ranker=ranker.name if ranker else None,
    )


@router.get("/version", summary="Version of the service and the embedding path it runs")
def version(matcher: ContextDep) -> dict[str, str]:
    s = matcher.settings
    return {"version": __version__, "embedding": describe(s.embedder, s.embed_precision)}

"""Health and version (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import MatcherDep
from api.schemas.health import Health
from matcher import __version__
from matcher.embed.precision import describe
from matcher.errors import ArtifactError, ArtifactMissingError

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Service health: index and ranker in use")
def health(matcher: MatcherDep) -> Health:
    try:
        manifest = matcher.indexes.manifest
    except ArtifactError as exc:
        status = "no-index" if isinstance(exc, ArtifactMissingError) else "index-unusable"
        return Health(status=status, version=__version__, outcomes_indexed=None, embedder=None, ranker=None)
    ranker = matcher.ranker
    return Health(
        status="ok",
        version=__version__,
        outcomes_indexed=manifest.get("count"),
        embedder=manifest.get("embedder"),
        ranker=ranker.name if ranker else None,
    )


@router.get("/version", summary="Version of the service and the embedding path it runs")
def version(matcher: MatcherDep) -> dict[str, str]:
    s = matcher.settings
    return {"version": __version__, "embedding": describe(s.embedder, s.embed_precision)}

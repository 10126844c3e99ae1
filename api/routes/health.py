"""Health and version (no key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import MatcherDep
from api.schemas.health import Health
from matcher import __version__
from matcher.artifacts import history
from matcher.embed.precision import describe
from matcher.errors import ArtifactError, ArtifactMissingError
from matcher.workspace.facade import Matcher

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Service health: index and ranker in use")
def health(matcher: MatcherDep) -> Health:
    try:
        manifest = matcher.indexes.manifest
    except ArtifactError as exc:
        status = "no-index" if isinstance(exc, ArtifactMissingError) else "index-unusable"
        return Health(status=status, version=__version__, outcomes_indexed=None, embedder=None, ranker=None)
    problems = matcher.ctx.served.problems()  # a model that cannot load, or an earlier one served instead
    try:
        ranker = matcher.ranker
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


@router.get("/version", summary="Version of the service, the embedding path it runs and the model it serves")
def version(matcher: MatcherDep) -> dict[str, Any]:
    s = matcher.settings
    return {"version": __version__, "embedding": describe(s.embedder, s.embed_precision), "model": _model(matcher)}


def _model(matcher: Matcher) -> dict[str, Any] | None:
    """The served model's id, date and source: its history version, else the ranker's own params."""
    current = history.served(matcher.settings.workspace().models_dir)
    if current is not None:
        info = current.info()
        return {"id": current.id, "created_at": info.get("created_at"), "source": info.get("source"),
                "fell_back_from": current.fell_back_from}  # fmt: skip
    try:
        ranker = matcher.ranker
    except ArtifactError:
        return None
    if ranker is None:
        return None
    sources = ranker.params.get("training", {}).get("sources") or ranker.params.get("sources")
    return {"id": ranker.name, "created_at": ranker.params.get("created_at"),
            "source": "、".join(sources) if isinstance(sources, list) else sources, "fell_back_from": None}  # fmt: skip

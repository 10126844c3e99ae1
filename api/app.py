"""create_app(settings): the FastAPI service over one shared Context, plus the staff page."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api import docs, openapi, problems
from api.batch_worker import BatchWorker
from api.guard import Guard
from api.routes import (
    batch,
    catalog,
    engagements,
    exclusions,
    feedback,
    health,
    judgements,
    matching,
    merges,
    models,
    needs,
    plans,
    reports,
    reverse,
    techmap,
)
from api.schemas.common import ERRORS
from matcher import __version__
from matcher.config import Settings
from matcher.workspace.context import Context, open_context
from matcher.workspace.live import LiveIndexer

log = logging.getLogger(__name__)
WEB = Path(__file__).parent / "web"


@asynccontextmanager
async def _background(app: FastAPI) -> AsyncIterator[None]:
    """Load the models while the server already answers (the page, /health): the first match then waits for
    nothing it could have loaded before; keep the indexes in step with the change feed (`workspace/live.py`)."""
    if app.state.warm_up:
        threading.Thread(target=app.state.matcher.warm, name="warm-up", daemon=True).start()
    app.state.live.start()
    yield
    app.state.live.stop()


def create_app(settings: Settings | None = None, *, matcher: Context | None = None) -> FastAPI:
    """The app; the index and model are loaded once and shared by all requests (reloaded when replaced)."""
    settings = settings or Settings()
    app = FastAPI(
        lifespan=_background,
        docs_url=None,
        redoc_url=None,
        title="matcher",
        version=__version__,
        description="产学研供需对接：为企业技术需求推荐专家、机构与科技成果，并给出依据。",
    )
    app.state.matcher = matcher or open_context(settings)
    app.state.batch_worker = BatchWorker(app.state.matcher)
    app.state.live = LiveIndexer(app.state.matcher, interval=settings.live_index)
    app.state.warm_up = settings.warm_up
    problems.install(app)
    openapi.install(app)
    docs.install(app)
    app.add_middleware(Guard, limit=settings.max_request_bytes)
    if settings.cors_origins:  # outermost, so refusals carry CORS headers too
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    app.include_router(health.router)
    for router in (
        needs.router,
        matching.router,
        reverse.router,
        feedback.router,
        batch.router,
        plans.router,
        techmap.router,
        exclusions.router,
        merges.router,
        judgements.router,
        models.router,
        *catalog.routers,
        *engagements.routers,
        reports.router,
    ):
        app.include_router(router, responses=ERRORS)
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(WEB / "favicon.svg", media_type="image/svg+xml")

    return app

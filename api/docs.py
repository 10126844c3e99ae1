"""/docs (Swagger UI) and /redoc from files installed with the project (the fastapi-offline package's copies), so
the API documentation opens on intranets that block CDNs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"
REDOC_JS = f"{PREFIX}/redoc-offline.js"  # Redoc with its footer logo served from here, not from a CDN
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _redoc_js() -> str:
    """The packaged Redoc bundle with its one network address (the footer logo) pointed at this server's icon."""
    return (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8").replace(REDOC_LOGO, "/favicon.ico")


def install(app: FastAPI) -> None:
    """Serve the documentation pages and their assets; the app is created with docs_url=None, redoc_url=None."""
    title = f"{app.title} · 接口文档"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )

    @app.get(REDOC_JS, include_in_schema=False)
    def redoc_js() -> Response:
        return Response(_redoc_js(), media_type="text/javascript")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=REDOC_JS,
            redoc_favicon_url="/favicon.ico",
            with_google_fonts=False,
        )

    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")  # after REDOC_JS, which it would shadow

"""`matcher serve`, contributed to the matcher CLI through the `matcher.commands` entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from matcher.cli.state import console, settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the REST API and the staff page."""
    import uvicorn

    from api.app import create_app

    app = create_app(settings())
    console.print(f"matcher serving on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

"""`matcher serve`, contributed to the matcher CLI through the `matcher.commands` entry point."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from matcher.cli.state import console, settings
from matcher.config import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes sharing the workspace (each loads the indexes).")
    ] = 1,
) -> None:
    """Serve the REST API and the staff page."""
    import uvicorn

    from api.app import create_app

    s = settings()
    console.print(f"matcher serving on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(create_app(s), host=host, port=port, log_level="info")
        return
    os.environ.update(settings_env(s))  # worker processes build the same Settings from the environment
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


def settings_env(s: Settings) -> dict[str, str]:
    """MATCHER_* variables that rebuild `s` in another process (pydantic-settings reads JSON for lists)."""
    env = {}
    for name, value in s.model_dump(mode="json").items():
        if value is not None:
            env[f"MATCHER_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

"""`matcher models`: the workspace's model versions (ranker + 匹配度 maps), every retrain or rollback attempt, and
rolling back to an earlier version."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from matcher.artifacts import history
from matcher.cli.state import console, settings

models_app = typer.Typer(help="Model versions: history of retrains and rollbacks, and rollback.", no_args_is_help=True)


@models_app.command("history")
def show_history(
    attempts: Annotated[int, typer.Option(min=0, help="How many of the latest attempts to list.")] = 20,
) -> None:
    """List the model versions (the served one marked) and the latest retrain or rollback attempts: kept or not,
    why, and the figures."""
    models = settings().workspace().models_dir
    current = history.served(models)
    table = Table("", "version", "created", "source", "CV nDCG@10", title="model versions")
    for v in history.versions(models):
        mark = "▶" if current and v["id"] == current.id else ""
        cv = v.get("cv")
        table.add_row(mark, v["id"], str(v.get("created_at", "")), str(v.get("source", "")),
                      f"{cv:.4f}" if isinstance(cv, float) else "")  # fmt: skip
    console.print(table)
    if current is None:
        console.print("no model version yet: the loose or shipped models are served")
    elif current.fell_back_from:
        console.print(f"version {current.fell_back_from} is damaged: serving {current.id}")
    rows = history.attempts(models)[-attempts:] if attempts else []
    log = Table("at", "action", "who", "kept", "status", "why", title="attempts")
    for a in rows:
        log.add_row(str(a.get("at", "")), str(a.get("action", "")), str(a.get("actor", "")),
                    "yes" if a.get("kept") else "no", str(a.get("status", "")), str(a.get("reason", "")))  # fmt: skip
    console.print(log)


@models_app.command("rollback")
def rollback(
    version: Annotated[
        str | None, typer.Argument(help="Version id (default: the one the served version replaced).")
    ] = None,
) -> None:
    """Serve an earlier model version again (ranker and 匹配度 maps together); recorded as an attempt."""
    served = history.rollback(settings().workspace().models_dir, version, actor="命令行")
    console.print(f"serving model version {served}")

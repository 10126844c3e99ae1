"""`matcher users`: API keys with roles for the service."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.state import console, open_session, open_workspace
from matcher.services import users as svc

users_app = typer.Typer(help="Manage API keys (roles: viewer, staff, admin).", no_args_is_help=True)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Who the key is for (unique).")],
    role: Annotated[str, typer.Option(help="viewer | staff | admin")] = "staff",
    replace: Annotated[bool, typer.Option("--replace", help="Revoke an existing key of that name first.")] = False,
) -> None:
    """Create an API key; it is printed once and only its hash is stored."""
    matcher = open_workspace()
    with open_session(write=True, ctx=matcher) as session:
        if replace:
            for row in svc.list_keys(session):
                if row.name == name:
                    session.delete(row)
            session.flush()
        _, key = svc.create_key(session, name=name, role=role)
    console.print(f"key for {name} ({role}): [bold]{key}[/bold]")


@users_app.command("list")
def list_keys() -> None:
    """List API keys (names, roles, status; never the keys)."""
    table = Table("name", "role", "created", "status")
    with open_session() as session:
        for row in svc.list_keys(session):
            table.add_row(row.name, row.role, str(row.created_at)[:19], "revoked" if row.revoked else "active")
    console.print(table)


@users_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="Name of the key to revoke.")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    with open_session(write=True) as session:
        svc.revoke_key(session, name=name)
    console.print(f"revoked {name}")

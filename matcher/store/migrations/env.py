"""Alembic environment: runs on the connection handed over by matcher.store.db.migrate."""

from __future__ import annotations

from alembic import context

from matcher.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via `alembic` CLI without matcher
    raise RuntimeError("run migrations through matcher.store.db.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Persistence: SQLAlchemy 2.0 typed ORM, sessions, repository functions, Alembic migrations."""

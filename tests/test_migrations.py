"""The Alembic migrations build exactly the schema the ORM tables describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from matcher.store.db import make_engine, migrate
from matcher.store.tables import Base


def differences(url: str) -> list:
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    # a server default added for existing rows is not part of the ORM model
    return [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_default")]


def test_migrations_match_the_tables_on_sqlite(tmp_path: Path) -> None:
    assert differences(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_match_the_tables_on_postgres(pg_url: str) -> None:
    assert differences(pg_url) == []


def test_migrations_upgrade_an_existing_database(tmp_path: Path) -> None:
    """A database at revision 0002 with a stored match keeps it through the upgrade (role defaults to proposal)."""
    from alembic import command
    from alembic.config import Config

    from matcher.store.db import MIGRATIONS

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.exec_driver_sql(
            "INSERT INTO needs (pk, id, title, description, status, created_at, updated_at) "
            "VALUES (1, 'N', 't', '', 'open', '2026-01-01', '2026-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO matches (run_pk, need_pk, level, target_id, rank, score, evidence, "
            "created_at) VALUES (NULL, 1, 'expert', 'E', 1, 0.5, '{}', '2026-01-01')"
        )
    migrate(make_engine(f"sqlite:///{tmp_path / 'old.db'}"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT target_id, role FROM matches").all() == [("E", "proposal")]

"""Engine and session factory; schema creation goes through Alembic migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from matcher.errors import ConfigError, ConflictError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = "matcher_write"  # execution option: this transaction will write


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by `_sqlite_begin`, not by the driver
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL (safe concurrent reads while imports run) and foreign keys."""
    try:
        engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise ConfigError(f"unusable database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """Writers begin IMMEDIATE: they queue for the write lock up front (busy timeout) instead of failing with
    "database is locked" when a read transaction tries to turn into a write while another writer commits."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (creates it on an empty database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise ConfigError(f"cannot reach the database: {exc.orig}") from exc


def session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions; with `write`, their transactions take SQLite's write lock when they first touch the database. Every
    flush of an outcome, expert, need or institution is written to the change feed (`feed.py`)."""
    from matcher.store.feed import record_changes

    factory = sessionmaker(engine.execution_options(**{WRITE: True}) if write else engine, expire_on_commit=False)
    event.listen(factory, "after_flush", record_changes)
    return factory


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """A session whose work commits on success and rolls back entirely on any error; `write` transactions take
    SQLite's write lock when they begin (other databases ignore the option)."""
    with factory() as session, session.begin():
        if write:
            session.connection(execution_options={WRITE: True})
        yield session


def flush_or_conflict(session: Session, message: str) -> None:
    """Flush; a unique constraint broken by a concurrent writer becomes a ConflictError (409, not 500)."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(message) from exc


def lock_key(session: Session, *parts: str) -> None:
    """Hold a lock on `parts` (a pair, say) until the transaction ends, so read-then-write steps on it run one after
    another: PostgreSQL's transaction-scoped advisory lock on a 64-bit hash of the key; SQLite's writers already
    run one at a time (BEGIN IMMEDIATE), so nothing more is needed there."""
    if session.get_bind().dialect.name == "postgresql":
        key = "\x1f".join(parts)
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

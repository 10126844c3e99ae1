"""The exclusive right to execute one batch run. On PostgreSQL it is a session advisory lock, so processes on
several machines sharing the database cannot execute one run at once, and a crashed holder frees it (its
connection closes). On SQLite — one machine by construction — it is a file lock in the workspace, which the OS
releases even after kill -9."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from matcher.errors import ConflictError


def advisory_key(run_id: str) -> int:
    """A stable signed 64-bit key for `run_id` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.blake2b(f"matcher-run:{run_id}".encode(), digest_size=8).digest(), "big", signed=True)


def _busy(run_id: str) -> ConflictError:
    return ConflictError(f"run {run_id} is being executed by another process")


@contextmanager
def _advisory(engine: Engine, run_id: str) -> Iterator[None]:
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(run_id)}):
            raise _busy(run_id)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(run_id)})
            conn.commit()


@contextmanager
def _file(folder: Path, run_id: str) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{run_id}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise _busy(run_id) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def run_lock(engine: Engine, folder: Path, run_id: str) -> Iterator[None]:
    """Hold the right to execute `run_id` (ConflictError when another process holds it)."""
    lock = _advisory(engine, run_id) if engine.dialect.name == "postgresql" else _file(folder, run_id)
    with lock:
        yield


def is_locked(engine: Engine, folder: Path, run_id: str) -> bool:
    """Whether some process is executing `run_id` right now."""
    try:
        with run_lock(engine, folder, run_id):
            return False
    except ConflictError:
        return True

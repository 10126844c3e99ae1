"""Vectors shared through the database: the server that stores a text embeds it once and every other server on the
same database reads the vector instead of embedding it again (several hosts, one PostgreSQL)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from matcher.store.tables import SharedVector

_CHUNK = 500


class SharedVectors:
    """The `shared_vectors` table as a second-level embedding cache (same interface as `EmbeddingCache`)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, model: str, side: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self.sessions() as session:
            for start in range(0, len(hashes), _CHUNK):
                chunk = hashes[start : start + _CHUNK]
                rows = session.execute(
                    select(SharedVector.hash, SharedVector.vector).where(
                        SharedVector.model == model, SharedVector.side == side, SharedVector.hash.in_(chunk)
                    )
                )
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put(self, model: str, side: str, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        rows = [{"model": model, "side": side, "hash": h, "vector": np.asarray(v, np.float32).tobytes()}
                for h, v in items.items()]  # fmt: skip
        with self.sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            make = pg_insert if dialect == "postgresql" else sqlite_insert
            for start in range(0, len(rows), _CHUNK):
                session.execute(make(SharedVector).values(rows[start : start + _CHUNK]).on_conflict_do_nothing())

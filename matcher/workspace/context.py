"""One workspace, opened: its settings, database sessions, embedder and the owner of its served artifacts.

The question modules (`match/`, `assign/`, `plan/`, `map/`, `learn/`, `label/`) take this plain context and return
values; each takes one frozen snapshot of the served artifacts (`ctx.snapshot()`) and the stages below them take
the plain values inside it (a session, the indexes, a model), never the context.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings, Workspace
from matcher.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from matcher.embed.shared import SharedVectors
from matcher.errors import ArtifactError
from matcher.store.db import make_engine, migrate, session_factory, transaction
from matcher.workspace.served import Served
from matcher.workspace.snapshot import Snapshot

log = logging.getLogger(__name__)


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    served: Served = field(init=False)
    inner_embedder: Embedder | None = None
    _embedder: CachedEmbedder | None = None
    _loading: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.served = Served(self.settings, lambda: self.embedder, self.sessions)

    @property
    def workspace(self) -> Workspace:
        return self.settings.workspace()

    @property
    def embedder(self) -> CachedEmbedder:
        """The configured embedder behind the workspace's embedding cache (loaded on first use)."""
        with self._loading:  # one load, however many threads ask first (the warm-up and a request)
            if self._embedder is None:
                s = self.settings
                cache = self.workspace.cache_path.parent / "e5-int8"
                inner = self.inner_embedder or load_embedder(s.embedder, precision=s.embed_precision, cache=cache)
                shared = s.shared_vectors if s.shared_vectors is not None else self.engine.dialect.name != "sqlite"
                self._embedder = CachedEmbedder(
                    inner,
                    EmbeddingCache(self.workspace.cache_path),
                    shared=SharedVectors(self.sessions) if shared else None,
                )
            return self._embedder

    def warm(self) -> None:
        """Load what the first question would wait for — the embedder (one query through it), the indexes, the
        rankers and the 匹配度 maps — so the first staff member does not pay for it. No index yet: nothing to do."""
        self.embedder.inner.encode_queries(["预热"])
        snap = self.snapshot()
        try:
            _ = snap.indexes, snap.ranker, snap.expert_ranker, snap.calibration
        except ArtifactError as exc:  # a question will say the same, in the staff's words
            log.info("warm: embedder loaded; no usable index yet (%s)", exc)
            return
        log.info("warm: embedder, indexes and models loaded")

    def snapshot(self) -> Snapshot:
        """What one question reads, frozen (`snapshot.py`): take it once, at the question's start."""
        return self.served.current()

    def needs_snapshot(self) -> Snapshot:
        """The current snapshot, its need index covering every need stored now (成果找企业, the map)."""
        return self.served.with_stored_needs(
            self.snapshot(), embedder=self.embedder, max_chars=self.settings.embed_max_chars
        )

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session on the workspace's database; `write`: one transaction, committed when the block ends and
        rolled back entirely on an error (on SQLite it takes the write lock when it begins)."""
        if write:
            with transaction(self.write_sessions) as session:
                yield session
            return
        with self.sessions() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_context(settings: Settings, *, embedder: Embedder | None = None) -> Context:
    """The workspace `settings` names, created and migrated if new; `embedder` replaces the configured one."""
    settings.workspace().ensure()
    engine = make_engine(settings.db_url())
    migrate(engine)
    return Context(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        write_sessions=session_factory(engine, write=True),
        inner_embedder=embedder,
    )

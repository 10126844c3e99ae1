"""One workspace, opened: its settings, database sessions, embedder and served artifacts (indexes, rankers).

The question modules (`match/`, `assign/`, `plan/`, `map/`, `learn/`) take this plain context and return values;
the stages below them take the plain values inside it (a session, the indexes, a model), never the context.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings, Workspace
from matcher.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from matcher.errors import ArtifactError
from matcher.index.loaded import Indexes
from matcher.ranking.model import Ranker
from matcher.store.db import make_engine, migrate, session_factory
from matcher.text.tokenize import Tokenizer
from matcher.workspace.served import Loaded, Served

log = logging.getLogger(__name__)


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    tokenizer: Tokenizer  # the import tokenizer (a built index carries its own, `indexes.tokenizer`)
    served: Served = field(init=False)
    inner_embedder: Embedder | None = None
    # one match computes at a time: its numeric kernels (FAISS, BM25, trees) parallelise internally, and
    # concurrent server threads oversubscribed the 2 cores (8 threads: 240 ms per match instead of 14 ms)
    match_lock: threading.Lock = field(default_factory=threading.Lock)
    _embedder: CachedEmbedder | None = None
    _loading: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.served = Served(self.settings, lambda: self.embedder)

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
                self._embedder = CachedEmbedder(inner, EmbeddingCache(self.workspace.cache_path))
            return self._embedder

    def warm(self) -> None:
        """Load what the first question would wait for — the embedder (one query through it), the indexes, the
        rankers and the 匹配度 maps — so the first staff member does not pay for it. No index yet: nothing to do."""
        self.embedder.inner.encode_queries(["预热"])
        try:
            _ = self.indexes, self.ranker, self.expert_ranker, self.served.calibration
        except ArtifactError as exc:  # a question will say the same, in the staff's words
            log.info("warm: embedder loaded; no usable index yet (%s)", exc)
            return
        log.info("warm: embedder, indexes and models loaded")

    @property
    def indexes(self) -> Indexes:
        """The loaded indexes; reloaded when `matcher index build` or `matcher train` swapped in new artifacts."""
        return self.served.indexes

    @property
    def ranker(self) -> Loaded[Ranker] | None:
        return self.served.ranker

    @property
    def expert_ranker(self) -> Loaded[Ranker] | None:
        return self.served.expert_ranker

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
        tokenizer=Tokenizer(),
        inner_embedder=embedder,
    )

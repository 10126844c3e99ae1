"""Matcher: opens a workspace (store, embedder, indexes) and answers match requests.

The CLI and the API are thin layers over this class.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from matcher.config import Settings
from matcher.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from matcher.errors import IndexMismatchError, InputError, NotFoundError
from matcher.index.build import DENSE, LEXICAL, TOKENIZER, BuildReport, build_indexes, check_manifest
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.ingest import ImportReport, import_file
from matcher.records import NeedRecord
from matcher.results import LEVELS, MatchResult
from matcher.retrieve import FusionParams, Query, retrieve
from matcher.rollup import Scored, VoteParams, expert_hits, institution_hits, outcome_hits
from matcher.store.db import make_engine, migrate, session_factory
from matcher.store.tables import Expert, Institution, Need, Outcome
from matcher.store.views import load_outcomes
from matcher.text import compose
from matcher.tokenize import Tokenizer

log = logging.getLogger(__name__)
MAX_QUERY_CHARS = 20_000
KEYWORDS = 20


@dataclass
class Indexes:
    dense: DenseIndex
    lexical: LexicalIndex
    tokenizer: Tokenizer
    manifest: dict[str, Any]


class Matcher:
    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.workspace = settings.workspace().ensure()
        self.engine = make_engine(settings.db_url())
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self._inner_embedder = embedder
        self._embedder: CachedEmbedder | None = None
        self._indexes: Indexes | None = None
        self._lock = threading.Lock()
        self.tokenizer = Tokenizer()

    # -- components ---------------------------------------------------------------------------------------
    @property
    def embedder(self) -> CachedEmbedder:
        if self._embedder is None:
            inner = self._inner_embedder or load_embedder(self.settings.embedder)
            self._embedder = CachedEmbedder(inner, EmbeddingCache(self.workspace.cache_path))
        return self._embedder

    @property
    def indexes(self) -> Indexes:
        with self._lock:
            if self._indexes is None:
                self._indexes = self._load_indexes()
            return self._indexes

    def _load_indexes(self) -> Indexes:
        folder = self.workspace.index_dir
        manifest = check_manifest(folder, self.embedder.name)
        dense = DenseIndex.load(folder / DENSE, embedder=self.embedder.name, dim=self.embedder.dim)
        lexical = LexicalIndex.load(folder / LEXICAL)
        if dense.count != lexical.count:
            raise IndexMismatchError(f"dense ({dense.count}) and BM25 ({lexical.count}) indexes disagree")
        return Indexes(dense, lexical, Tokenizer.load(folder / TOKENIZER), manifest)

    def reload(self) -> None:
        """Drop loaded indexes; the next match loads the newest ones from disk."""
        with self._lock:
            self._indexes = None

    # -- import and index -----------------------------------------------------------------------------
    def import_file(
        self, kind: str, path: Path, *, rejects_path: Path | None = None, progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        after = self._embed_needs if kind == "needs" else None
        return import_file(
            self.sessions,
            kind=kind,
            path=path,
            tokenizer=self.tokenizer,
            max_chars=self.settings.embed_max_chars,
            batch_size=self.settings.import_batch_size,
            rejects_path=rejects_path,
            progress=progress,
            after_batch=after,
        )

    def _embed_needs(self, records: list[NeedRecord]) -> None:
        """Store need embeddings at import so matching a stored need never waits for the model."""
        self.embedder.encode_queries([self.need_text(r.title, r.description) for r in records])

    def build_index(
        self,
        *,
        full: bool = False,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> BuildReport:
        report = build_indexes(
            self.sessions,
            index_dir=self.workspace.index_dir,
            embedder=self.embedder,
            tokenizer=self.tokenizer,
            max_chars=self.settings.embed_max_chars,
            exact_max=self.settings.exact_index_max,
            nprobe=self.settings.ivf_nprobe,
            full=full,
            progress=progress,
            on_total=on_total,
        )
        self.reload()
        return report

    def verify_index(self) -> dict[str, Any]:
        """Load every index file with checksums and compare its size with the store."""
        self.reload()
        idx = self.indexes
        with self.sessions() as session:
            stored = session.scalar(select(func.count(Outcome.pk))) or 0
        return {
            "ok": idx.dense.count == stored,
            "indexed": idx.dense.count,
            "stored": stored,
            "embedder": idx.manifest["embedder"],
            "index_type": idx.dense.kind,
        }

    # -- queries --------------------------------------------------------------------------------------
    def need_text(self, title: str, description: str) -> str:
        return compose(title, description, self.settings.embed_max_chars)

    def _query(self, title: str, description: str, need_id: str | None = None) -> Query:
        tokenizer = self.indexes.tokenizer
        tokens = tokenizer.tokens(f"{title} {description}")
        vector = self.embedder.encode_queries([self.need_text(title, description)])[0]
        keywords = [k for k, _ in tokenizer.keywords(tokens, KEYWORDS)]
        return Query(
            text=f"{title} {description}".strip(),
            tokens=list(dict.fromkeys(tokens)),
            vector=vector,
            keywords=keywords,
            need_id=need_id,
        )

    def text_query(self, text: str) -> Query:
        text = text.strip()
        if not text:
            raise InputError("the need text is empty")
        if len(text) > MAX_QUERY_CHARS:
            raise InputError(f"the need text has {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
        return self._query(text, "")

    def need_query(self, need_id: str) -> Query:
        with self.sessions() as session:
            need = session.scalar(select(Need).where(Need.id == need_id))
            if need is None:
                raise NotFoundError(f"no need with id {need_id!r}")
            return self._query(need.title, need.description, need_id=need.id)

    # -- matching -------------------------------------------------------------------------------------
    def candidates(self, query: Query) -> list[Scored]:
        s = self.settings
        params = FusionParams(s.fusion, s.rrf_k, s.weight_bm25, s.weight_dense)
        fused = retrieve(
            query, lexical=self.indexes.lexical, dense=self.indexes.dense, depth=s.retrieve_depth, params=params
        )
        best = fused[0][1].fused if fused and fused[0][1].fused > 0 else 1.0
        return [Scored(pk, comp.fused / best, comp) for pk, comp in fused]

    def match(self, query: Query, *, level: str = "expert", top: int = 10) -> MatchResult:
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
        if not 1 <= top <= 1000:
            raise InputError("top must be between 1 and 1000")
        t0 = time.perf_counter()
        items = self.candidates(query)
        t1 = time.perf_counter()
        needed = [i.pk for i in (items[:top] if level == "outcome" else items)]
        with self.sessions() as session:
            infos = load_outcomes(session, needed)
        t2 = time.perf_counter()
        hits = self._roll(level, items, infos, query.keywords, top)
        timings = {"retrieve": (t1 - t0) * 1e3, "load": (t2 - t1) * 1e3, "rollup": (time.perf_counter() - t2) * 1e3}
        return MatchResult(
            level=level,
            query=query.text[:200],
            need_id=query.need_id,
            scorer="fused",
            hits=hits,
            notice="no trained ranker: results are ranked by fused retrieval",
            timings_ms={k: round(v, 2) for k, v in timings.items()},
        )

    def _roll(self, level: str, items: list[Scored], infos: dict, keywords: list[str], top: int) -> list[Any]:
        s = self.settings
        params = VoteParams(depth=s.rollup_depth, decay=s.rollup_decay, half_life=s.recency_half_life)
        if level == "outcome":
            return outcome_hits(items, infos, keywords, top)
        if level == "expert":
            return expert_hits(items, infos, keywords, top, params)
        return institution_hits(items, infos, keywords, top, params)

    # -- facts ----------------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        with self.sessions() as session:
            counts = {
                name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in (
                    ("institutions", Institution),
                    ("experts", Expert),
                    ("outcomes", Outcome),
                    ("needs", Need),
                )
            }
            counts["open_needs"] = session.scalar(select(func.count()).where(Need.status == "open")) or 0
        counts["cached_embeddings"] = EmbeddingCache(self.workspace.cache_path).count()
        return counts

    def close(self) -> None:
        self.engine.dispose()

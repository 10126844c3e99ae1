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

import numpy as np
from sqlalchemy import func, select

from matcher.config import Settings
from matcher.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from matcher.errors import IndexMismatchError, InputError, NotFoundError
from matcher.expert_features import institution_sizes
from matcher.expert_rank import ExpertRanker, load_expert_ranker, rerank_hits
from matcher.features import Candidates, pair_features
from matcher.index.build import DENSE, LEXICAL, TOKENIZER, BuildReport, build_indexes, check_manifest
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.ingest import ImportReport, import_file
from matcher.ingest.importer import upsert_records
from matcher.rank import Ranker, explain_rows, load_active, scorer_label
from matcher.records import NeedRecord
from matcher.results import LEVELS, MatchResult, OutcomeHit
from matcher.retrieve import FusionParams, Query, retrieve
from matcher.rollup import Scored, VoteParams, expert_hits, institution_hits, outcome_hits
from matcher.store.db import make_engine, migrate, session_factory
from matcher.store.tables import Expert, Feedback, Institution, Need, Outcome
from matcher.store.views import load_outcomes
from matcher.text import compose
from matcher.tokenize import Tokenizer

log = logging.getLogger(__name__)
BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "models" / "default"
ACCEPTED_STAGES = ("meeting", "intention", "signed")
MAX_QUERY_CHARS = 20_000
EXPLAINED = 30  # candidates whose ranker reasons are computed (enough for the evidence of the top hits)
KEYWORDS = 20
EXPERT_POOL = 100  # roll-up hits the expert ranker re-orders


@dataclass
class Indexes:
    dense: DenseIndex
    lexical: LexicalIndex
    tokenizer: Tokenizer
    manifest: dict[str, Any]
    institution_sizes: dict[int, int] | None = None  # outcomes per institution (an expert-ranker feature)


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
        self._ranker: tuple[Ranker, dict[str, Any]] | None = None
        self._ranker_notice: str | None = None
        self._expert_ranker: tuple[ExpertRanker, dict[str, Any]] | None = None
        self._expert_loaded = False
        self._loaded_stamp: tuple[int, int] = (0, 0)
        self._lock = threading.Lock()
        # one match computes at a time: its numeric kernels (FAISS, BM25, trees) parallelise internally, and
        # concurrent server threads oversubscribed the 2 cores (8 threads: 240 ms per match instead of 14 ms)
        self._match_lock = threading.Lock()
        self.tokenizer = Tokenizer()

    # -- components ---------------------------------------------------------------------------------------
    @property
    def embedder(self) -> CachedEmbedder:
        if self._embedder is None:
            inner = self._inner_embedder or load_embedder(self.settings.embedder)
            self._embedder = CachedEmbedder(inner, EmbeddingCache(self.workspace.cache_path))
        return self._embedder

    def _stamp(self) -> tuple[int, int]:
        """Modification times of the index and model manifests: a change means a new artifact was swapped in."""
        model = self.model_dir()
        paths = (self.workspace.index_dir / "params.json", model / "params.json" if model else None)
        return tuple(p.stat().st_mtime_ns if p and p.exists() else 0 for p in paths)  # type: ignore[return-value]

    @property
    def indexes(self) -> Indexes:
        """The loaded indexes; reloaded when `matcher index build` or `matcher train` swapped in new ones."""
        stamp = self._stamp()
        with self._lock:
            if self._indexes is not None and stamp != self._loaded_stamp:
                log.info("new index or model on disk: reloading")
                self._indexes, self._ranker, self._ranker_notice = None, None, None
                self._expert_loaded = False
            if self._indexes is None:
                self._indexes = self._load_indexes()
                self._loaded_stamp = stamp
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
        """Drop loaded indexes and model; the next match loads the newest ones from disk."""
        with self._lock:
            self._indexes = None
            self._ranker, self._ranker_notice, self._expert_loaded = None, None, False

    @property
    def expert_ranker(self) -> tuple[ExpertRanker, dict[str, Any]] | None:
        """The trained expert ranker (`matcher train --level expert`), if any, for this embedder."""
        with self._lock:
            if not self._expert_loaded:
                self._expert_ranker = load_expert_ranker(self.settings, self.embedder.name)
                self._expert_loaded = True
            return self._expert_ranker

    def model_dir(self) -> Path | None:
        """Where the active ranker lives: the setting, else the workspace's active model, else the bundled one."""
        choice = self.settings.model
        if choice == "none":
            return None
        if choice != "auto":
            return Path(choice)
        active = self.workspace.models_dir / "active"
        return active if active.exists() else BUNDLED_MODEL

    @property
    def ranker(self) -> tuple[Ranker, dict[str, Any]] | None:
        with self._lock:
            if self._ranker is None and self._ranker_notice is None:
                self._ranker, self._ranker_notice = load_active(self.model_dir(), self.embedder.name)
            return self._ranker

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

    def upsert(self, kind: str, records: list[Any]) -> None:
        """Store validated records (one transaction); needs get their embeddings stored too."""
        upsert_records(self.sessions, kind, records, self.tokenizer, self.settings.embed_max_chars)
        if kind == "needs":
            self._embed_needs(records)

    def embed_need(self, title: str, description: str) -> None:
        self._embed_needs([NeedRecord(id="_", title=title, description=description)])

    def _embed_needs(self, records: list[NeedRecord]) -> None:
        """Store need embeddings (full text and title alone) at import so matching never waits for the model."""
        texts = [self.need_text(r.title, r.description) for r in records]
        self.embedder.encode_queries(texts + [r.title for r in records if r.description])

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

    def _query(self, title: str, description: str, need: Need | None = None) -> Query:
        tokenizer = self.indexes.tokenizer
        tokens = tokenizer.tokens(f"{title} {description}")
        texts = [self.need_text(title, description)] + ([title] if description else [])
        vectors = self.embedder.encode_queries(texts)
        keywords = [k for k, _ in tokenizer.keywords(tokens, KEYWORDS)]
        return Query(
            text=f"{title} {description}".strip(),
            tokens=list(dict.fromkeys(tokens)),
            vector=vectors[0],
            keywords=keywords,
            need_id=need.id if need else None,
            title_tokens=tokenizer.tokens(title),
            title_vector=vectors[-1],
            field=need.field if need else None,
            region=need.region if need else None,
            organization=need.organization if need else None,
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
            return self._query(need.title, need.description, need)

    # -- matching -------------------------------------------------------------------------------------
    def candidates(self, query: Query) -> list[Scored]:
        s = self.settings
        params = FusionParams(s.fusion, s.rrf_k, s.weight_bm25, s.weight_dense)
        fused = retrieve(
            query, lexical=self.indexes.lexical, dense=self.indexes.dense, depth=s.retrieve_depth, params=params
        )
        # vote weight 1/sqrt(rank): on NSFC dev it rolled up to experts better than normalised RRF scores
        # (MRR 0.173 vs 0.155 at depth 5), which are nearly flat over the top 200
        return [Scored(pk, rank**-0.5, comp) for rank, (pk, comp) in enumerate(fused, 1)]

    def signals(self, query: Query, pks: list[int]) -> Candidates:
        """Exact BM25 and cosine scores of the given outcomes for `query` (whether retrieved or not)."""
        idx = self.indexes
        dense = idx.dense.similarity(query.vector, pks)
        title = dense if query.title_vector is None else idx.dense.similarity(query.title_vector, pks)
        return Candidates(pks, idx.lexical.score_pks(query.tokens, pks), dense, title)

    def features(self, query: Query, pks: list[int], infos: dict | None = None) -> tuple[Any, dict]:
        """Feature matrix of (query, outcome) pairs in `pks` order, and the outcomes' info."""
        if infos is None:
            with self.sessions() as session:
                infos = load_outcomes(session, pks)
        pks = [pk for pk in pks if pk in infos]
        X = pair_features(
            query, self.signals(query, pks), infos, self.indexes.tokenizer, track_record=self.track_record()
        )
        return X, infos

    def track_record(self) -> dict[int, int]:
        """Expert pk → number of pairings staff moved to meeting or beyond."""
        with self.sessions() as session:
            rows = session.execute(
                select(Expert.pk, func.count(Feedback.pk))
                .join(Expert, Feedback.target_id == Expert.id)
                .where(Feedback.level == "expert", Feedback.stage.in_(ACCEPTED_STAGES))
                .group_by(Expert.pk)
            )
            return {pk: n for pk, n in rows}

    def rerank(self, query: Query, items: list[Scored], infos: dict) -> tuple[list[Scored], dict[int, list]]:
        """Re-score the head of the fused list with the ranker; the tail is dropped (it would not vote)."""
        assert self.ranker is not None
        model = self.ranker[0]
        head = [i for i in items[: self.settings.rerank_depth] if i.pk in infos]
        X, _ = self.features(query, [i.pk for i in head], infos)
        raw, shown = model.decision_function(X), model.match_score(X)
        order = np.argsort(-raw, kind="stable")
        shown_rows = order[:EXPLAINED]
        reasons = dict(zip((head[i].pk for i in shown_rows), explain_rows(model, X[shown_rows]), strict=True))
        rescored = []
        for i in order:
            comp = head[i].components
            comp.model = float(shown[i])
            rescored.append(Scored(head[i].pk, float(shown[i]) / 100.0, comp))
        return rescored, reasons

    def match(self, query: Query, *, level: str = "expert", top: int = 10) -> MatchResult:
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
        if not 1 <= top <= 1000:
            raise InputError("top must be between 1 and 1000")
        with self._match_lock:
            return self._match(query, level, top)

    def _match(self, query: Query, level: str, top: int) -> MatchResult:
        t0 = time.perf_counter()
        items = fused = self.candidates(query)
        t1 = time.perf_counter()
        ranker = self.ranker
        depth = self.settings.rerank_depth if ranker else top
        needed = [i.pk for i in (items[:depth] if level == "outcome" else items)]
        with self.sessions() as session:
            infos = load_outcomes(session, needed)
        t2 = time.perf_counter()
        reasons: dict[int, list] = {}
        if ranker:
            items, reasons = self.rerank(query, items, infos)
        t3 = time.perf_counter()
        expert_model = self.expert_ranker if level == "expert" else None
        hits = self._roll(level, items, infos, query.keywords, EXPERT_POOL if expert_model else top)
        if expert_model:
            hits = rerank_hits(self, query, hits, expert_model[0], fused, self._institution_sizes())[:top]
        for hit in self._outcome_hits(hits):
            hit.reasons = reasons.get(self._pk_of(infos, hit.id), [])
        timings = {
            "retrieve": (t1 - t0) * 1e3,
            "load": (t2 - t1) * 1e3,
            "rank": (t3 - t2) * 1e3,
            "rollup": (time.perf_counter() - t3) * 1e3,
        }
        return MatchResult(
            level=level,
            query=query.text[:200],
            need_id=query.need_id,
            scorer=scorer_label(ranker, expert_model),
            hits=hits,
            notice=self._ranker_notice,
            timings_ms={k: round(v, 2) for k, v in timings.items()},
        )

    def _institution_sizes(self) -> dict[int, int]:
        idx = self.indexes  # outcomes change only together with a new index, which drops this cache
        if idx.institution_sizes is None:
            with self.sessions() as session:
                idx.institution_sizes = institution_sizes(session)
        return idx.institution_sizes

    @staticmethod
    def _outcome_hits(hits: list[Any]) -> list[OutcomeHit]:
        found: list[OutcomeHit] = []
        for hit in hits:
            found += [hit] if isinstance(hit, OutcomeHit) else hit.evidence
        return found

    @staticmethod
    def _pk_of(infos: dict, outcome_id: str) -> int:
        return next((pk for pk, info in infos.items() if info.id == outcome_id), -1)

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

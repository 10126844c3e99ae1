"""Matcher: the facade over one workspace — open it, import into it, index it, and match needs against it.

The CLI and the API are thin layers over this class; the stages it calls live in `search/` (queries, retrieval,
roll-up), `ranking/` (features and the two rankers) and `artifacts.py` (loading and hot reload).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from matcher.artifacts import Artifacts, Loaded
from matcher.config import Settings
from matcher.conflicts import load_rules
from matcher.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from matcher.errors import IndexMissingError, InputError, NotFoundError
from matcher.index.build import BuildReport, build_indexes
from matcher.index.build import diff as index_diff
from matcher.index.loaded import Indexes
from matcher.ingest import ImportReport, import_file
from matcher.ingest.importer import upsert_records
from matcher.ranking.expert.features import expert_candidates, institution_sizes
from matcher.ranking.expert.rerank import rerank_hits
from matcher.ranking.model import Ranker
from matcher.ranking.outcome.features import Candidates, pair_features
from matcher.ranking.outcome.rerank import rerank
from matcher.records import NeedRecord
from matcher.search.competition import own_needs, rival_cosines
from matcher.search.probe import Probe, expert_probe, institution_probe, outcome_probe, text_probe
from matcher.search.query import Query, build_query, checked_text, need_texts
from matcher.search.results import (
    LEVELS,
    ExpertHit,
    MatchResult,
    ReverseResult,
    evidence_outcomes,
    weak_match,
    with_degrees,
)
from matcher.search.retrieve import FusionParams, retrieve_from, vote_weight
from matcher.search.reverse import TARGETS, enterprise_hits, keep_allowed, need_hits, open_needs, search_needs
from matcher.search.rollup import Scored, VoteParams, expert_hits, roll_up
from matcher.services.catalog import counts
from matcher.services.feedback import track_record
from matcher.store.db import make_engine, migrate, session_factory
from matcher.store.tables import Need, Outcome
from matcher.store.views import OutcomeInfo, load_outcomes
from matcher.text import compose
from matcher.tokenize import Tokenizer

STALE_NEEDS = "有 {n} 条需求在上次建索引之后新增或删除，运行 matcher index build 后参与反向匹配"
NO_OUTCOMES = "{label} 暂无成果：先导入其成果，才能据此查找需求"
EXPERT_POOL = 100  # roll-up hits the expert ranker re-orders


def scorer_label(ranker: Loaded[Ranker] | None, experts: Loaded[Ranker] | None) -> str:
    """What ranked a result: `fused`, `ranker:NAME`, and `+experts:NAME` when the expert ranker re-ordered it."""
    name = f"ranker:{ranker.name}" if ranker else "fused"
    return f"{name}+experts:{experts.name}" if experts else name


class Matcher:
    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.workspace = settings.workspace().ensure()
        self.engine = make_engine(settings.db_url())
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.write_sessions = session_factory(self.engine, write=True)
        self._inner_embedder = embedder
        self._embedder: CachedEmbedder | None = None
        self.artifacts = Artifacts(settings, lambda: self.embedder)
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

    @property
    def indexes(self) -> Indexes:
        """The loaded indexes; reloaded when `matcher index build` or `matcher train` swapped in new artifacts."""
        return self.artifacts.indexes

    @property
    def ranker(self) -> Loaded[Ranker] | None:
        return self.artifacts.ranker

    @property
    def expert_ranker(self) -> Loaded[Ranker] | None:
        return self.artifacts.expert_ranker

    def reload(self) -> None:
        """Drop loaded indexes and models; the next match loads the newest ones from disk."""
        self.artifacts.reload()

    def institution_sizes(self) -> dict[int, int]:
        """Outcomes per institution (an expert-ranker feature), cached with the indexes they were built with."""
        idx = self.indexes
        if idx.institution_sizes is None:
            with self.sessions() as session:
                idx.institution_sizes = institution_sizes(session)
        return idx.institution_sizes

    # -- import and index -----------------------------------------------------------------------------
    def import_file(
        self, kind: str, path: Path, *, rejects_path: Path | None = None, progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        return import_file(
            self.sessions,
            kind=kind,
            path=path,
            tokenizer=self.tokenizer,
            max_chars=self.settings.embed_max_chars,
            batch_size=self.settings.import_batch_size,
            rejects_path=rejects_path,
            progress=progress,
            after_batch=self._embed_needs if kind == "needs" else None,
        )

    def upsert(self, kind: str, records: list[Any], *, strict: bool = True) -> None:
        """Store validated records (one transaction, all or nothing); a record changes exactly the row it names
        (`strict`) or the call fails with ConflictError. Needs get their embeddings stored first, outside it."""
        if kind == "needs":
            self._embed_needs(records)
        upsert_records(self.sessions, kind, records, self.tokenizer, self.settings.embed_max_chars, strict=strict)

    def embed_need(self, title: str, description: str) -> None:
        self._embed_needs([NeedRecord(id="_", title=title, description=description)])

    def _embed_needs(self, records: list[NeedRecord]) -> None:
        """Store need embeddings (full text and title alone) at import so matching never waits for the model."""
        max_chars = self.settings.embed_max_chars
        self.embedder.encode_queries([t for r in records for t in need_texts(r.title, r.description, max_chars)])

    def build_index(
        self,
        *,
        full: bool = False,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> BuildReport:
        s = self.settings
        report = build_indexes(
            self.sessions,
            index_dir=self.workspace.index_dir,
            embedder=self.embedder,
            tokenizer=self.tokenizer,
            max_chars=s.embed_max_chars,
            exact_max=s.exact_index_max,
            nprobe=s.ivf_nprobe,
            full=full,
            progress=progress,
            on_total=on_total,
        )
        self.reload()
        return report

    def verify_index(self) -> dict[str, Any]:
        """Load every index file (checksums verified) and compare its content with the store, outcome by outcome:
        the text hash each outcome was embedded from against the stored one."""
        self.reload()
        idx = self.indexes
        with self.sessions() as session:
            rows = session.execute(select(Outcome.pk, Outcome.text_hash, Outcome.id)).all()
        stored = {pk: h for pk, h, _ in rows}
        ids = {pk: i for pk, _, i in rows}
        diff = index_diff(list(stored.items()), idx.dense)
        stale = {"changed": diff.update, "missing": diff.add, "deleted": diff.remove}
        return {
            "ok": not any(stale.values()),
            "indexed": idx.dense.count,
            "stored": len(stored),
            **{name: len(pks) for name, pks in stale.items()},
            "examples": {name: [ids.get(pk, str(pk)) for pk in pks[:5]] for name, pks in stale.items() if pks},
            "embedder": idx.manifest["embedder"],
            "index_type": idx.dense.kind,
        }

    # -- queries --------------------------------------------------------------------------------------
    def need_text(self, title: str, description: str) -> str:
        return compose(title, description, self.settings.embed_max_chars)

    def _query(self, title: str, description: str, need: Need | None = None) -> Query:
        return build_query(
            title,
            description,
            tokenizer=self.indexes.tokenizer,
            encoder=self.embedder,
            max_chars=self.settings.embed_max_chars,
            need=need,
        )

    def text_query(self, text: str) -> Query:
        return self._query(checked_text(text), "")

    def need_query(self, need_id: str) -> Query:
        with self.sessions() as session:
            need = session.scalar(select(Need).where(Need.id == need_id))
            if need is None:
                raise NotFoundError(f"no need with id {need_id!r}")
            return self._query(need.title, need.description, need)

    # -- matching -------------------------------------------------------------------------------------
    def candidates(self, query: Query) -> list[Scored]:
        """Fused BM25 + dense candidates, best first, each with its vote weight."""
        fused = retrieve_from(query, self.indexes, self.settings)
        return [Scored(pk, float(vote_weight(rank)), comp) for rank, (pk, comp) in enumerate(fused, 1)]

    def signals(self, query: Query, pks: list[int]) -> Candidates:
        """Exact BM25 and cosine scores of the given outcomes for `query` (whether retrieved or not)."""
        idx = self.indexes
        vectors = idx.dense.vectors(pks)
        dense = vectors @ query.vector
        title = dense if query.title_vector is None else vectors @ query.title_vector
        needs = idx.needs.dense if idx.needs else None
        rivals = rival_cosines(needs, vectors, own_needs(needs, query.vector))
        return Candidates(pks, idx.lexical.score_pks(query.terms, pks), dense, title, rivals, vectors)

    def features(
        self, query: Query, pks: list[int], infos: dict[int, OutcomeInfo] | None = None
    ) -> tuple[np.ndarray, dict[int, OutcomeInfo]]:
        """Feature matrix of (query, outcome) pairs in `pks` order, and the outcomes' info."""
        with self.sessions() as session:
            infos = infos if infos is not None else load_outcomes(session, pks)
            record = track_record(session)
        pks = [pk for pk in pks if pk in infos]
        X = pair_features(
            query,
            self.signals(query, pks),
            infos,
            self.indexes.tokenizer,
            track_record=record,
            rrf_k=self.settings.rrf_k,
        )
        return X, infos

    def match(self, query: Query, *, level: str = "expert", top: int = 10) -> MatchResult:
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
        if not 1 <= top <= 1000:
            raise InputError("top must be between 1 and 1000")
        with self._match_lock:
            return self._match(query, level, top)

    def _match(self, query: Query, level: str, top: int) -> MatchResult:
        clock = [time.perf_counter()]
        items = fused = self.candidates(query)
        clock.append(time.perf_counter())
        ranker = self.ranker
        needed = items[: self.settings.rerank_depth if ranker else top] if level == "outcome" else items
        with self.sessions() as session:
            infos = load_outcomes(session, [i.pk for i in needed])
        clock.append(time.perf_counter())
        reasons: dict[int, list[dict[str, Any]]] = {}
        head = [i for i in items[: self.settings.rerank_depth] if i.pk in infos] if ranker else []
        if ranker and head:
            X, _ = self.features(query, [i.pk for i in head], infos)
            items, reasons = rerank(ranker.model, X, head)
        clock.append(time.perf_counter())
        experts = self.expert_ranker if level == "expert" else None
        params = VoteParams.from_settings(self.settings)
        if experts:
            hits = self._ranked_experts(query, items, fused, infos, experts.model, params)[:top]
        else:
            hits = roll_up(level, items, infos, query.keywords, top, params)
        with_degrees(hits, 1.0 if experts else params.full())
        pk_of = {info.id: pk for pk, info in infos.items()}
        for hit in evidence_outcomes(hits):
            hit.reasons = reasons.get(pk_of.get(hit.id, -1), [])
        clock.append(time.perf_counter())
        stages = ("retrieve", "load", "rank", "rollup")
        weak = weak_match(hits, self.settings.weak_match)
        notices = [*self.artifacts.notices(experts=level == "expert"), *([weak] if weak else [])]
        return MatchResult(
            level=level,
            query=query.text[:200],
            need_id=query.need_id,
            scorer=scorer_label(ranker, experts),
            hits=hits,
            notice="；".join(notices) or None,
            timings_ms={k: round((b - a) * 1e3, 2) for k, a, b in zip(stages, clock[:-1], clock[1:], strict=True)},
            expert_ranked=experts is not None,
            weak=weak is not None,
        )

    def _ranked_experts(
        self,
        query: Query,
        items: list[Scored],
        fused: list[Scored],
        infos: dict[int, OutcomeInfo],
        model: Ranker,
        params: VoteParams,
    ) -> list[ExpertHit]:
        """The expert pool (vote, deeper dense search, profile BM25) rolled up with its evidence and ordered by
        the expert ranker; `infos` gains the pool's outcomes the roll-up had not loaded."""
        found = expert_candidates(self, query, fused=fused)
        seen = {i.pk for i in items}
        extra = [s for s in found.extra if s.pk not in seen]
        with self.sessions() as session:
            infos.update(load_outcomes(session, [s.pk for s in extra if s.pk not in infos]))
        every = [i for i in items + extra if i.pk in infos]
        owners = sum(len(infos[i.pk].experts) for i in every)
        return rerank_hits(expert_hits(every, infos, query.keywords, owners, params), found, model)

    # -- reverse matching (成果找企业) ----------------------------------------------------------------------
    def probe(
        self,
        *,
        outcome_id: str | None = None,
        expert_id: str | None = None,
        institution: str | None = None,
        text: str | None = None,
        text_institution: str | None = None,
    ) -> Probe:
        """What looks for needs: exactly one of a stored outcome, an expert, an institution, or outcome text."""
        if sum(x is not None for x in (outcome_id, expert_id, institution, text)) != 1:
            raise InputError("give exactly one of: an outcome id, an expert id, an institution, an outcome text")
        kw: dict[str, Any] = {
            "encoder": self.embedder,
            "tokenizer": self.indexes.tokenizer,
            "max_chars": self.settings.embed_max_chars,
        }
        if text is not None:
            return text_probe(text, institution=text_institution, **kw)
        with self.sessions() as session:
            if outcome_id is not None:
                return outcome_probe(session, outcome_id, **kw)
            if expert_id is not None:
                return expert_probe(session, expert_id, **kw)
            return institution_probe(session, institution or "", **kw)

    def reverse(
        self, probe: Probe, *, target: str = "needs", top: int = 10, region: str | None = None
    ) -> ReverseResult:
        """The open needs (or enterprises) `probe` serves best, conflicts removed, with evidence."""
        if target not in TARGETS:
            raise InputError(f"unknown target {target!r}; use one of {', '.join(TARGETS)}")
        if not 1 <= top <= 1000:
            raise InputError("top must be between 1 and 1000")
        if region is not None and not region.strip():
            raise InputError("the region is empty; leave it out to search every region")
        index = self.indexes.needs
        if index is None:
            raise IndexMissingError("the index predates reverse matching (no need index); run `matcher index build`")
        with self._match_lock:
            return self._reverse(probe, index, target, top, region)

    def _reverse(self, probe: Probe, index: Any, target: str, top: int, region: str | None) -> ReverseResult:
        s, started = self.settings, time.perf_counter()
        found = search_needs(probe, index, depth=s.retrieve_depth, params=FusionParams.from_settings(s))
        with self.sessions() as session:
            needs = open_needs(session, [f.pk for f in found], region)
            rules = load_rules(session)
            kept, removed = keep_allowed(found, needs, probe, rules)
            shown = top if target == "needs" else EXPERT_POOL
            hits: list[Any] = need_hits(kept, needs, probe.keywords, self.indexes.tokenizer, shown)
            if target == "enterprises":
                hits = enterprise_hits(session, hits, rules, VoteParams.from_settings(s), top)
            unindexed = int(session.scalar(select(func.count()).select_from(Need)) or 0) - index.count
        notices = [NO_OUTCOMES.format(label=probe.label)] if not probe.parts else []
        notices += [STALE_NEEDS.format(n=unindexed)] if unindexed else []
        return ReverseResult(
            target=target,
            probe=probe.kind,
            label=probe.label,
            probe_id=probe.id,
            hits=hits,
            conflicts_removed=removed,
            notice="；".join(notices) or None,
            timings_ms={"reverse": round((time.perf_counter() - started) * 1e3, 2)},
        )

    # -- facts ----------------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        with self.sessions() as session:
            found = counts(session)
        found["cached_embeddings"] = EmbeddingCache(self.workspace.cache_path).count()
        return found

    def close(self) -> None:
        self.engine.dispose()

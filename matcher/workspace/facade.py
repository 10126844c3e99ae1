"""Matcher: the thin facade the CLI and the API hold — an opened workspace (a `Context`) with the few
compositions of stages that belong to no single question (import + embed needs, build + reload) and one-line
delegations to the questions, which live in `match/`, `assign/`, `plan/`, `map/` and `learn/` and take the
context (never the facade's methods)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from matcher.config import Settings
from matcher.embed import Embedder, EmbeddingCache
from matcher.index.build import BuildReport, build_indexes
from matcher.index.verify import verify
from matcher.ingest import ImportReport, import_file
from matcher.ingest.importer import Audit, Layout, upsert_records
from matcher.match import forward, reverse
from matcher.records import NeedRecord
from matcher.search.probe import Probe
from matcher.search.query import Query
from matcher.search.results import MatchResult
from matcher.search.results import ReverseResult as Reverse
from matcher.services.catalog import counts
from matcher.workspace.context import Context, open_context

Progress = Callable[[int], None] | None


class Matcher(Context):
    """An opened workspace (every part of its `Context`) with the operations the edges call."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        opened = open_context(settings, embedder=embedder)
        super().__init__(**{f.name: getattr(opened, f.name) for f in fields(Context) if f.init})

    @property
    def ctx(self) -> Context:
        """The context the question modules take (the facade is one)."""
        return self

    # -- import and index -----------------------------------------------------------------------------------
    def import_file(
        self,
        kind: str,
        path: Path,
        *,
        rejects_path: Path | None = None,
        progress: Progress = None,
        mapping: dict[str, str] | None = None,
        audit: Audit | None = None,
        source: str | None = None,
        actor: str | None = None,  # issue 41
        clear_empty: bool = False,  # issue 41
        layout: Layout | None = None,  # issue 41
    ) -> ImportReport:
        """Import a file (its columns mapped, `mapping` overriding the guess); needs get their embeddings."""
        s, embed = self.settings, (lambda rows: forward.embed_needs(self, rows)) if kind == "needs" else None
        return import_file(
            self.sessions,
            kind=kind,
            path=path,
            tokenizer=self.tokenizer,
            max_chars=s.embed_max_chars,
            batch_size=s.import_batch_size,
            rejects_path=rejects_path,
            progress=progress,
            after_batch=embed,
            mapping=mapping,
            audit=audit,
            max_sheet_bytes=s.max_sheet_bytes,
            source=source,
            actor=actor,  # issue 41
            clear_empty=clear_empty,  # issue 41
            layout=layout,  # issue 41
        )

    def upsert(self, kind: str, records: list[Any], *, strict: bool = True, actor: str | None = None) -> None:
        """Store validated records (one transaction, all or nothing); a record changes exactly the row it names
        (`strict`) or the call fails with ConflictError. Needs get their embeddings stored first, outside it."""
        if kind == "needs":
            forward.embed_needs(self, records)
        s = self.settings
        upsert_records(self.sessions, kind, records, self.tokenizer, s.embed_max_chars, strict=strict, actor=actor)

    def embed_need(self, title: str, description: str) -> None:
        forward.embed_needs(self, [NeedRecord(id="_", title=title, description=description)])

    def build_index(self, *, full: bool = False, progress: Progress = None, on_total: Progress = None) -> BuildReport:
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
        """Every index file loaded (checksums verified) and compared with the store, outcome by outcome."""
        self.reload()
        return verify(self.sessions, self.indexes)

    # -- the questions --------------------------------------------------------------------------------------
    def need_query(self, need_id: str) -> Query:
        return forward.need_query(self, need_id)

    def text_query(self, text: str) -> Query:
        return forward.text_query(self, text)

    def match(self, query: Query, *, level: str = "expert", top: int = 10) -> MatchResult:
        return forward.match(self, query, level=level, top=top)

    def probe(self, **what: str | None) -> Probe:
        return reverse.probe(self, **what)

    def reverse(self, probe: Probe, *, target: str = "needs", top: int = 10, region: str | None = None) -> Reverse:
        return reverse.reverse(self, probe, target=target, top=top, region=region)

    # -- facts and lifecycle --------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        with self.sessions() as session:
            found = counts(session)
        found["cached_embeddings"] = EmbeddingCache(self.workspace.cache_path).count()
        return found

    def reload(self) -> None:
        """Drop loaded indexes and models; the next match loads the newest ones from disk."""
        self.served.reload()

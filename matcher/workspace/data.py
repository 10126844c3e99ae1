"""Data in and indexes, as plain functions taking the context: import a file, store records, build and verify the
indexes, count what is stored. The compositions that belong to no single question live here (an import embeds
the needs it stores; a build is followed by a new snapshot)."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, overload

from matcher.embed import EmbeddingCache
from matcher.index.build import BuildReport, build_indexes
from matcher.index.verify import verify
from matcher.ingest import ImportReport
from matcher.ingest import import_file as import_rows
from matcher.ingest.importer import Audit, Layout, upsert_records
from matcher.ingest.ledger import LedgerReport, import_ledger
from matcher.match import forward
from matcher.records import NeedRecord
from matcher.services.catalog import counts
from matcher.store import feed
from matcher.text.tokenize import Tokenizer
from matcher.workspace.context import Context

Progress = Callable[[int], None] | None


def import_file(
    ctx: Context,
    kind: str,
    path: Path,
    *,
    rejects_path: Path | None = None,
    progress: Progress = None,
    mapping: dict[str, str] | None = None,
    audit: Audit | None = None,
    source: str | None = None,
    actor: str | None = None,
    clear_empty: bool = False,
    layout: Layout | None = None,
) -> ImportReport:
    """Import a file (its columns mapped, `mapping` overriding the guess); needs get their embeddings."""
    s = ctx.settings
    embed = (lambda rows: forward.embed_needs(ctx, rows)) if kind == "needs" else None
    return import_rows(
        ctx.sessions,
        kind=kind,
        path=path,
        tokenizer=ctx.snapshot().tokenizer,
        max_chars=s.embed_max_chars,
        batch_size=s.import_batch_size,
        rejects_path=rejects_path,
        progress=progress,
        after_batch=embed,
        mapping=mapping,
        audit=audit,
        max_sheet_bytes=s.max_sheet_bytes,
        source=source,
        actor=actor,
        clear_empty=clear_empty,
        layout=layout,
    )


def import_engagements(
    ctx: Context,
    path: Path,
    *,
    actor: str,
    mapping: dict[str, str] | None = None,
    rejects_path: Path | None = None,
) -> LedgerReport:
    """Import a 对接台账 sheet (`ingest/ledger.py`): needs found or created, partners resolved, stages and contracts."""
    return import_ledger(ctx.sessions, path=path, actor=actor, mapping=mapping, rejects_path=rejects_path,
                         max_sheet_bytes=ctx.settings.max_sheet_bytes)  # fmt: skip


def upsert(ctx: Context, kind: str, records: list[Any], *, strict: bool = True, actor: str | None = None) -> None:
    """Store validated records (one transaction, all or nothing); a record changes exactly the row it names
    (`strict`) or the call fails with ConflictError. Needs get their embeddings stored first, outside it."""
    if kind == "needs":
        forward.embed_needs(ctx, records)
    tokenizer = ctx.snapshot().tokenizer
    upsert_records(ctx.sessions, kind, records, tokenizer, ctx.settings.embed_max_chars, strict=strict, actor=actor)


def embed_need(ctx: Context, title: str, description: str) -> None:
    """Embed a need's text ahead of storing it (slow work outside the write transaction)."""
    forward.embed_needs(ctx, [NeedRecord(id="_", title=title, description=description)])


@contextmanager
def build_turn(ctx: Context, *, wait: bool) -> Iterator[bool]:
    """One index build per workspace at a time, across processes (a file lock); `wait=False`: yield False at once
    when another build holds it."""
    path = ctx.workspace.root / "index.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@overload
def build_index(
    ctx: Context, *, full: bool = ..., progress: Progress = ..., on_total: Progress = ..., wait: Literal[True] = ...
) -> BuildReport: ...


@overload
def build_index(
    ctx: Context, *, full: bool = ..., progress: Progress = ..., on_total: Progress = ..., wait: bool
) -> BuildReport | None: ...


def build_index(
    ctx: Context, *, full: bool = False, progress: Progress = None, on_total: Progress = None, wait: bool = True
) -> BuildReport | None:
    """Build (or bring up to date) the workspace's indexes; the next question reads a snapshot of them. One build
    per workspace at a time: `wait=False` returns None at once when another holds the turn."""
    with build_turn(ctx, wait=wait) as mine:
        return _build(ctx, full=full, progress=progress, on_total=on_total) if mine else None


def _build(ctx: Context, *, full: bool, progress: Progress, on_total: Progress) -> BuildReport:
    s = ctx.settings
    with ctx.sessions() as session:
        seen = feed.position(session)  # read first: changes committed during the build are applied by the next
    report = build_indexes(
        ctx.sessions,
        index_dir=ctx.workspace.index_dir,
        embedder=ctx.embedder,
        tokenizer=Tokenizer(),
        max_chars=s.embed_max_chars,
        exact_max=s.exact_index_max,
        nprobe=s.ivf_nprobe,
        full=full,
        progress=progress,
        on_total=on_total,
        feed=seen,
    )
    ctx.served.reload()
    return report


def embed_on_ray(
    ctx: Context, address: str, *, actors: int, num_cpus: int | None = None, progress: Progress = None
) -> int:
    """Embed the outcomes the index lacks on a Ray cluster into the workspace's cache (a build then reads them)."""
    from matcher.index.ray_embed import embed_with_ray

    s = ctx.settings
    return embed_with_ray(
        ctx.sessions,
        ctx.embedder,
        address,
        spec=s.embedder,
        precision=s.embed_precision,
        max_chars=s.embed_max_chars,
        actors=actors,
        num_cpus=num_cpus,
        progress=progress,
    )


def verify_index(ctx: Context) -> dict[str, Any]:
    """Every index file loaded (checksums verified) and compared with the store, outcome by outcome."""
    ctx.served.reload()
    return verify(ctx.sessions, ctx.snapshot().indexes)


def index_manifest(ctx: Context) -> dict[str, Any]:
    """The served index's manifest (embedder, counts, versions); IndexMissingError before any build."""
    return ctx.snapshot().indexes.manifest


def stats(ctx: Context) -> dict[str, int]:
    """Stored records by kind, and the embeddings cached."""
    with ctx.sessions() as session:
        found = counts(session)
    found["cached_embeddings"] = EmbeddingCache(ctx.workspace.cache_path).count()
    return found

"""Keep the indexes in step with the store: embed only new or changed outcomes, drop deleted ones,
rebuild BM25 (over `terms.outcome_terms`) and the IDF table, and swap the new folder in atomically."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.artifacts.folder import PARAMS, read_params, swap_in, verify_files, write_params
from matcher.embed.cache import CachedEmbedder
from matcher.errors import IndexMismatchError, IndexMissingError
from matcher.index.dense import DenseIndex
from matcher.index.experts import build_expert_lexical, save_expert_lexical
from matcher.index.lexical import LexicalIndex
from matcher.index.needs import NeedIndexes, build_need_indexes
from matcher.index.terms import outcome_terms
from matcher.store.tables import Outcome
from matcher.text.normalize import compose
from matcher.text.tokenize import Tokenizer

log = logging.getLogger(__name__)
DENSE, LEXICAL, TOKENIZER = "dense", "lexical", "tokenizer"
_FETCH = 1000


@dataclass
class BuildReport:
    total: int
    added: int
    updated: int
    removed: int
    embedded: int
    dense_type: str
    full: bool
    seconds: float
    needs: int = 0  # needs in the need index (reverse matching)


@dataclass
class Diff:
    add: list[int]
    update: list[int]
    remove: list[int]


def diff(rows: list[tuple[int, str]], dense: DenseIndex | None) -> Diff:
    """What must change in `dense` to match the store rows (pk, text hash)."""
    known = dense.hashes_ if dense else {}
    current = dict(rows)
    add = [pk for pk, h in rows if pk not in known]
    update = [pk for pk, h in rows if pk in known and known[pk] != h]
    remove = [pk for pk in known if pk not in current]
    return Diff(add, update, remove)


def load_dense(index_dir: Path, embedder: CachedEmbedder) -> DenseIndex | None:
    """The current dense index to update incrementally; None (a full rebuild) when there is none or it is
    unusable: corrupted, or built with another embedder."""
    try:
        check_manifest(index_dir, embedder.name)
        return DenseIndex.load(index_dir / DENSE, embedder=embedder.name, dim=embedder.dim)
    except IndexMissingError:
        return None
    except IndexMismatchError as exc:
        log.warning("the index on disk is unusable (%s): rebuilding it from scratch", exc)
        return None


def _texts(session: Session, pks: list[int], max_chars: int) -> list[str]:
    by_pk: dict[int, str] = {}
    for start in range(0, len(pks), _FETCH):
        chunk = pks[start : start + _FETCH]
        rows = session.execute(select(Outcome.pk, Outcome.title, Outcome.abstract).where(Outcome.pk.in_(chunk)))
        by_pk.update((pk, compose(title, abstract, max_chars)) for pk, title, abstract in rows)
    return [by_pk[pk] for pk in pks]


def _embed_into(
    dense: DenseIndex,
    session: Session,
    pks: list[int],
    hashes: dict[int, str],
    embedder: CachedEmbedder,
    max_chars: int,
    progress: Callable[[int], None] | None,
) -> None:
    for start in range(0, len(pks), _FETCH):
        chunk = pks[start : start + _FETCH]
        vectors = embedder.encode_documents(_texts(session, chunk, max_chars), progress=progress)
        dense.add(chunk, vectors, [hashes[pk] for pk in chunk])


def build_indexes(
    factory: sessionmaker[Session],
    *,
    index_dir: Path,
    embedder: CachedEmbedder,
    tokenizer: Tokenizer,
    max_chars: int,
    exact_max: int,
    nprobe: int,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    feed: int = 0,
) -> BuildReport:
    """Bring `index_dir` up to date with the store (incrementally unless `full` or the index kind changes); `feed`:
    the change-feed position read before the store was read (the manifest records it: the index holds every change
    up to it)."""
    started = time.perf_counter()
    with factory() as session:
        rows = [
            (pk, h, toks)
            for pk, h, toks in session.execute(
                select(Outcome.pk, Outcome.text_hash, Outcome.tokens).order_by(Outcome.pk)
            )
        ]
        kind, nlist = DenseIndex.choose_kind(len(rows), exact_max)
        dense = None if full else _compatible(load_dense(index_dir, embedder), kind)
        change = diff([(pk, h) for pk, h, _ in rows], dense)
        hashes = {pk: h for pk, h, _ in rows}
        todo = change.add + change.update
        if on_total:
            on_total(len(todo))
        rebuilt = dense is None
        if dense is None:
            dense = _new_dense(session, rows, kind, nlist, nprobe, embedder, max_chars, progress)
        else:
            dense.set_nprobe(nprobe)  # a changed MATCHER_IVF_NPROBE applies without a rebuild
            dense.remove(change.remove)
            _embed_into(dense, session, todo, hashes, embedder, max_chars, progress)
        needs = build_need_indexes(session, embedder=embedder, tokenizer=tokenizer, max_chars=max_chars)
        terms = outcome_terms(session)
        profiles = build_expert_lexical(session, terms)
    pks = [pk for pk, _, _ in rows]  # the dense index's outcomes, whatever changed since
    lexical = LexicalIndex().fit(pks, [terms.get(pk, []) for pk in pks])
    tokenizer.fit_idf(toks.split() for _, _, toks in rows)
    report = BuildReport(
        total=len(rows),
        added=len(change.add),
        updated=len(change.update),
        removed=len(change.remove),
        embedded=len(todo),
        dense_type=dense.kind,
        full=rebuilt,
        seconds=0.0,
        needs=needs.count,
    )
    report.seconds = round(time.perf_counter() - started, 3)
    _save_all(index_dir, dense, lexical, tokenizer, needs, profiles, report, embedder, feed)
    return report


def _compatible(dense: DenseIndex | None, kind: str) -> DenseIndex | None:
    return dense if dense is not None and dense.kind == kind else None


def _new_dense(
    session: Session,
    rows: list[tuple[int, str, str]],
    kind: str,
    nlist: int,
    nprobe: int,
    embedder: CachedEmbedder,
    max_chars: int,
    progress: Callable[[int], None] | None,
) -> DenseIndex:
    dense = DenseIndex(embedder=embedder.name, dim=embedder.dim, kind=kind, nlist=nlist, nprobe=nprobe)
    pks = [pk for pk, _, _ in rows]
    hashes = {pk: h for pk, h, _ in rows}
    if kind == "ivf":
        vectors = np.vstack(
            [
                embedder.encode_documents(_texts(session, pks[s : s + _FETCH], max_chars), progress=progress)
                for s in range(0, len(pks), _FETCH)
            ]
        )
        return dense.build(pks, vectors, [hashes[pk] for pk in pks])
    _embed_into(dense, session, pks, hashes, embedder, max_chars, progress)
    return dense


def _save_all(
    index_dir: Path,
    dense: DenseIndex,
    lexical: LexicalIndex,
    tokenizer: Tokenizer,
    needs: NeedIndexes,
    profiles: LexicalIndex,
    report: BuildReport,
    embedder: CachedEmbedder,
    feed: int,
) -> None:
    staging = index_dir.with_name(index_dir.name + ".staging")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    dense.save(staging / DENSE)
    lexical.save(staging / LEXICAL)
    tokenizer.save(staging / TOKENIZER)
    need_files = needs.save(staging) + save_expert_lexical(profiles, staging)
    write_params(
        staging,
        {
            "type": "workspace-index",
            "embedder": embedder.name,
            "dim": embedder.dim,
            "count": report.total,
            "build": asdict(report),
            "feed": feed,
        },
        files=[f"{part}/{PARAMS}" for part in (DENSE, LEXICAL, TOKENIZER)] + need_files,
    )
    swap_in(staging, index_dir)


def check_manifest(index_dir: Path, embedder_name: str) -> dict[str, Any]:
    """The workspace index manifest, its checksums of the parts' params.json verified, built with `embedder_name`."""
    params = read_params(index_dir)
    verify_files(index_dir, params)
    if params.get("embedder") != embedder_name:
        raise IndexMismatchError(
            f"the index at {index_dir} was built with {params.get('embedder')!r} but the workspace embedder is "
            f"{embedder_name!r}; run `matcher index build --full`"
        )
    return params

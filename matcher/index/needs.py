"""The need side of the workspace index (reverse matching: an outcome looking for enterprises).

Needs are embedded as e5 *queries* at import (the forward match reads those vectors), so the need index holds
exactly those vectors: an outcome's stored *passage* vector scored against them is the forward cosine
cos(query(need), passage(outcome)), and no embedding is computed when a stored outcome looks for needs. BM25 is
over the needs' terms (jieba tokens and character bigrams), as the forward query has them. Small (needs are
thousands, not millions): exact search, rebuilt with every `matcher index build` from cached vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.embed.cache import CachedEmbedder
from matcher.index.dense import DenseIndex
from matcher.index.lexical import LexicalIndex
from matcher.store.tables import Need
from matcher.text.normalize import compose, text_hash
from matcher.text.tokenize import Tokenizer

NEED_DENSE, NEED_LEXICAL = "need_dense", "need_lexical"


@dataclass(frozen=True)
class NeedIndexes:
    dense: DenseIndex
    lexical: LexicalIndex
    checked: Any = None  # the stored needs' (count, last pk, last change) when they last agreed with the index

    @property
    def count(self) -> int:
        return self.dense.count

    def save(self, folder: Path) -> list[str]:
        """Write both parts under `folder`; the files the workspace manifest must checksum."""
        self.dense.save(folder / NEED_DENSE)
        self.lexical.save(folder / NEED_LEXICAL)
        return [f"{NEED_DENSE}/params.json", f"{NEED_LEXICAL}/params.json"]

    @classmethod
    def load(cls, folder: Path, *, embedder: str, dim: int, mmap: bool = False) -> NeedIndexes:
        dense = DenseIndex.load(folder / NEED_DENSE, embedder=embedder, dim=dim, mmap=mmap)
        return cls(dense, LexicalIndex.load(folder / NEED_LEXICAL, mmap=mmap))


def build_need_indexes(
    session: Session, *, embedder: CachedEmbedder, tokenizer: Tokenizer, max_chars: int
) -> NeedIndexes:
    """Dense (cached e5 query vectors) and BM25 indexes over every stored need, whatever its status (status
    changes do not need a rebuild: reverse matching filters open needs when it loads them)."""
    rows = session.execute(select(Need.pk, Need.title, Need.description).order_by(Need.pk)).all()
    pks = [pk for pk, _, _ in rows]
    texts = [compose(title, description, max_chars) for _, title, description in rows]
    vectors = embedder.encode_queries(texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
    dense = DenseIndex(embedder=embedder.name, dim=embedder.dim).build(pks, vectors, [text_hash(t) for t in texts])
    terms = [tokenizer.terms(f"{title} {description}") for _, title, description in rows]
    return NeedIndexes(dense, LexicalIndex().fit(pks, terms))


def current_need_indexes(
    session: Session, held: NeedIndexes, *, embedder: CachedEmbedder, tokenizer: Tokenizer, max_chars: int
) -> NeedIndexes:
    """`held` while it indexes every stored need as its text is now; else the need indexes rebuilt in memory, so a
    need saved a moment ago is found by 成果找企业 at once (its query vectors were cached when it was saved; the
    files on disk follow at the next `matcher index build`). A cheap key of the table spares the text check."""
    key = tuple(session.execute(select(func.count(Need.pk), func.max(Need.pk), func.max(Need.updated_at))).one())
    if held.checked == key:
        return held
    rows = session.execute(select(Need.pk, Need.title, Need.description)).all()
    now = {pk: text_hash(compose(title, description, max_chars)) for pk, title, description in rows}
    if now == held.dense.hashes_:
        return replace(held, checked=key)
    fresh = build_need_indexes(session, embedder=embedder, tokenizer=tokenizer, max_chars=max_chars)
    return replace(fresh, checked=key)

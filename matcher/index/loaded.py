"""The indexes a workspace serves from, loaded together and checked against each other and the embedder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.embed import Embedder
from matcher.errors import IndexMismatchError
from matcher.index.build import DENSE, LEXICAL, TOKENIZER, check_manifest
from matcher.index.dense import DenseIndex
from matcher.index.experts import load_expert_lexical
from matcher.index.lexical import LexicalIndex
from matcher.index.needs import NEED_DENSE, NeedIndexes
from matcher.text.tokenize import Tokenizer


@dataclass(frozen=True)
class Indexes:
    dense: DenseIndex
    lexical: LexicalIndex
    tokenizer: Tokenizer
    manifest: dict[str, Any]
    needs: NeedIndexes | None = None  # None: an index built before reverse matching existed
    experts: LexicalIndex | None = None  # the expert profile index; None: an index built before it existed


def load_indexes(folder: Path, embedder: Embedder, *, mmap: bool = False) -> Indexes:
    """The dense and BM25 indexes and the tokenizer of `folder` (checksums, embedder and counts checked);
    `mmap`: vectors and BM25 arrays mapped read-only, shared by every process serving the folder."""
    manifest = check_manifest(folder, embedder.name)
    dense = DenseIndex.load(folder / DENSE, embedder=embedder.name, dim=embedder.dim, mmap=mmap)
    lexical = LexicalIndex.load(folder / LEXICAL, mmap=mmap)
    if dense.count != lexical.count:
        raise IndexMismatchError(f"dense ({dense.count}) and BM25 ({lexical.count}) indexes disagree")
    needs = None
    if (folder / NEED_DENSE).exists():
        needs = NeedIndexes.load(folder, embedder=embedder.name, dim=embedder.dim, mmap=mmap)
    tokenizer = Tokenizer.load(folder / TOKENIZER)
    return Indexes(dense, lexical, tokenizer, manifest, needs, experts=load_expert_lexical(folder, mmap=mmap))

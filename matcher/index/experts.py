"""The expert profile index: BM25 over each expert's whole record (the BM25 terms of all their outcomes, one
document per expert), so an expert whose single best outcome is not among the retrieved candidates can still be
found by the words their record shares with the need. It fills the expert ranker's pool (`ranking/expert/pool.py`)
beside outcome voting and a deeper dense search. Rebuilt with every `matcher index build` (cheap: tokens are
stored)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from matcher.index.lexical import LexicalIndex
from matcher.index.terms import expert_documents

EXPERT_LEXICAL = "expert_lexical"


def build_expert_lexical(session: Session, terms: dict[int, list[str]]) -> LexicalIndex:
    """BM25 over expert documents; `terms`: every outcome's BM25 terms by pk (`terms.outcome_terms`)."""
    pks, docs = expert_documents(session, terms)
    return LexicalIndex().fit(pks, docs)


def save_expert_lexical(index: LexicalIndex, folder: Path) -> list[str]:
    """Write it under `folder`; the file the workspace manifest must checksum."""
    index.save(folder / EXPERT_LEXICAL)
    return [f"{EXPERT_LEXICAL}/params.json"]


def load_expert_lexical(folder: Path, *, mmap: bool = False) -> LexicalIndex | None:
    """The profile index of a workspace index folder; None for an index built before it existed."""
    if not (folder / EXPERT_LEXICAL).exists():
        return None
    return LexicalIndex.load(folder / EXPERT_LEXICAL, mmap=mmap)

"""The expert profile index: BM25 over each expert's whole record (the jieba tokens of all their outcomes, one
document per expert), so an expert whose single best outcome is not among the retrieved candidates can still be
found by the words their record shares with the need. It fills the expert ranker's pool (`ranking/expert/pool.py`)
beside outcome voting and a deeper dense search. Rebuilt with every `matcher index build` (cheap: tokens are
stored)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.index.lexical import LexicalIndex
from matcher.store.tables import Outcome, OutcomeExpert

EXPERT_LEXICAL = "expert_lexical"


def expert_documents(session: Session) -> tuple[list[int], list[list[str]]]:
    """Expert pks (ascending) and, for each, the tokens of all their outcomes in outcome order."""
    rows = session.execute(
        select(OutcomeExpert.expert_pk, Outcome.tokens)
        .join(Outcome, Outcome.pk == OutcomeExpert.outcome_pk)
        .order_by(OutcomeExpert.expert_pk, Outcome.pk)
    )
    docs: dict[int, list[str]] = {}
    for expert_pk, tokens in rows:
        docs.setdefault(expert_pk, []).extend(tokens.split())
    pks = sorted(docs)
    return pks, [docs[pk] for pk in pks]


def build_expert_lexical(session: Session) -> LexicalIndex:
    pks, docs = expert_documents(session)
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

"""The documents BM25 indexes, read from the store: each outcome's terms (its stored jieba tokens and the
character bigrams of its text, `tokenize.lexical_terms`) and each expert's, the terms of all their outcomes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.tables import Outcome, OutcomeExpert
from matcher.text.normalize import outcome_text
from matcher.text.tokenize import lexical_terms


def stored_terms(tokens: str, title: str, abstract: str | None, keywords: list[str] | None) -> list[str]:
    """A stored outcome's BM25 terms from its columns (`tokens`: the space-joined jieba tokens)."""
    return lexical_terms(tokens.split(), outcome_text(title, abstract or "", keywords or []))


def outcome_terms(session: Session) -> dict[int, list[str]]:
    """Every stored outcome's BM25 terms, by pk (ascending)."""
    rows = session.execute(
        select(Outcome.pk, Outcome.tokens, Outcome.title, Outcome.abstract, Outcome.keywords).order_by(Outcome.pk)
    )
    return {pk: stored_terms(tokens, title, abstract, keywords) for pk, tokens, title, abstract, keywords in rows}


def expert_documents(session: Session, terms: dict[int, list[str]]) -> tuple[list[int], list[list[str]]]:
    """Expert pks (ascending) and, for each, the terms of all their outcomes in outcome order."""
    rows = session.execute(
        select(OutcomeExpert.expert_pk, OutcomeExpert.outcome_pk).order_by(
            OutcomeExpert.expert_pk, OutcomeExpert.outcome_pk
        )
    )
    docs: dict[int, list[str]] = {}
    for expert_pk, outcome_pk in rows:
        docs.setdefault(expert_pk, []).extend(terms.get(outcome_pk, []))
    pks = sorted(docs)
    return pks, [docs[pk] for pk in pks]

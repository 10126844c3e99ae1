"""What looks for needs in reverse matching (成果找企业): one stored outcome, an expert's or an institution's
outcomes, or ad-hoc outcome text — each outcome a `Part` with its tokens and passage vector, plus the owners
whose conflicts rule needs out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matcher.errors import NotFoundError
from matcher.index.terms import stored_terms
from matcher.search.query import KEYWORDS, checked_text
from matcher.store.resolve import load_alias_file
from matcher.store.tables import Expert, Institution, Outcome, OutcomeExpert
from matcher.text.normalize import compose, institution_key
from matcher.text.tokenize import Tokenizer, lexical_terms

MAX_PARTS = 30  # an expert's or institution's newest outcomes that search (each one retrieval)


@dataclass(frozen=True)
class Owner:
    """Someone behind the probe, for the conflict rules: an expert (pk, id) and/or an institution name."""

    institution: str | None
    expert_pk: int | None = None
    expert_id: str | None = None
    institution_id: str | None = None  # a stored institution (its 不合适 decisions count)


@dataclass
class Part:
    """One outcome of the probe: its id (None for ad-hoc text), title, tokens, BM25 terms and passage vector."""

    outcome_id: str | None
    title: str
    tokens: list[str]
    terms: list[str]
    vector: np.ndarray


@dataclass
class Probe:
    kind: str  # outcome | expert | institution | text
    label: str
    parts: list[Part]
    owners: list[Owner] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    id: str | None = None  # the stored outcome, expert or institution (feedback is recorded against it)


class PassageEncoder(Protocol):
    def encode_documents(self, texts: list[str]) -> np.ndarray: ...


def _parts(rows: list[Outcome], encoder: PassageEncoder, max_chars: int) -> list[Part]:
    if not rows:
        return []
    vectors = encoder.encode_documents([compose(o.title, o.abstract, max_chars) for o in rows])
    return [
        Part(o.id, o.title, o.tokens.split(), stored_terms(o.tokens, o.title, o.abstract, o.keywords), v)
        for o, v in zip(rows, vectors, strict=True)
    ]


def _keywords(parts: list[Part], tokenizer: Tokenizer) -> list[str]:
    tokens = [t for p in parts for t in p.tokens]
    return [k for k, _ in tokenizer.keywords(tokens, KEYWORDS)]


def _owners_of(outcome: Outcome) -> list[Owner]:
    inst = outcome.institution.name if outcome.institution else None
    experts = [link.expert for link in outcome.expert_links]
    owners = [Owner(e.institution.name if e.institution else inst, e.pk, e.id) for e in experts]
    return owners or [Owner(inst)]


def outcome_probe(
    session: Session, outcome_id: str, *, encoder: PassageEncoder, tokenizer: Tokenizer, max_chars: int
) -> Probe:
    outcome = session.scalar(select(Outcome).where(Outcome.id == outcome_id))
    if outcome is None:
        raise NotFoundError(f"找不到成果（编号 {outcome_id}）")
    parts = _parts([outcome], encoder, max_chars)
    keywords = _keywords(parts, tokenizer)
    return Probe("outcome", f"成果 {outcome.title}", parts, _owners_of(outcome), keywords, outcome.id)


def _newest(session: Session, where: object) -> list[Outcome]:
    query = select(Outcome).where(where).order_by(Outcome.year.desc().nulls_last(), Outcome.pk.desc())  # type: ignore[arg-type]
    return list(session.scalars(query.limit(MAX_PARTS)).unique())


def expert_probe(
    session: Session, expert_id: str, *, encoder: PassageEncoder, tokenizer: Tokenizer, max_chars: int
) -> Probe:
    expert = session.scalar(select(Expert).where(Expert.id == expert_id))
    if expert is None:
        raise NotFoundError(f"no expert with id {expert_id!r}")
    linked = select(OutcomeExpert.outcome_pk).where(OutcomeExpert.expert_pk == expert.pk)
    parts = _parts(_newest(session, Outcome.pk.in_(linked)), encoder, max_chars)  # none: no needs, and a notice
    inst = expert.institution.name if expert.institution else None
    owner = Owner(inst, expert.pk, expert.id)
    return Probe("expert", f"专家 {expert.name}", parts, [owner], _keywords(parts, tokenizer), expert.id)


def find_institution(session: Session, name_or_id: str) -> Institution:
    """An institution by id, name or alias: its stored aliases and the bundled alias list (上海交大)."""
    key = institution_key(name_or_id)
    canonical = institution_key(load_alias_file().get(key, name_or_id))
    keys = [key, canonical]
    found = session.scalar(
        select(Institution).where(or_(Institution.id == name_or_id.strip(), Institution.key.in_(keys)))
    )
    if found is None:
        found = next((i for i in session.scalars(select(Institution)) if key in map(institution_key, i.aliases)), None)
    if found is None:
        raise NotFoundError(f"no institution named {name_or_id!r}")
    return found


def institution_probe(
    session: Session, name_or_id: str, *, encoder: PassageEncoder, tokenizer: Tokenizer, max_chars: int
) -> Probe:
    inst = find_institution(session, name_or_id)
    staff = select(OutcomeExpert.outcome_pk).join(Expert).where(Expert.institution_pk == inst.pk)
    parts = _parts(_newest(session, or_(Outcome.institution_pk == inst.pk, Outcome.pk.in_(staff))), encoder, max_chars)
    keywords = _keywords(parts, tokenizer)
    return Probe("institution", f"单位 {inst.name}", parts, [Owner(inst.name)], keywords, inst.id)


def text_probe(
    text: str, *, institution: str | None, encoder: PassageEncoder, tokenizer: Tokenizer, max_chars: int
) -> Probe:
    """Ad-hoc outcome text (a professor's 成果描述), embedded as a passage like stored outcomes."""
    text = checked_text(text, "outcome")
    tokens = tokenizer.tokens(text)
    vector = encoder.encode_documents([compose(text, "", max_chars)])[0]
    part = Part(None, text[:60], list(dict.fromkeys(tokens)), lexical_terms(tokens, text), vector)
    return Probe("text", "成果描述", [part], [Owner(institution)], _keywords([part], tokenizer))

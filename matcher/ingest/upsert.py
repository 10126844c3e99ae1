"""Idempotent upserts of validated records, one batch per call, inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.errors import ConflictError
from matcher.records import ExpertRecord, ExpertRef, InstitutionRecord, NeedRecord, OutcomeRecord
from matcher.store.resolve import InstitutionResolver, expert_id, experts_by_id, outcome_expert_id
from matcher.store.tables import Expert, Institution, Need, Outcome, OutcomeExpert
from matcher.text.normalize import clean, compose, institution_key, outcome_text, stable_id, text_hash
from matcher.text.tokenize import Tokenizer


def upsert_needs(session: Session, *, records: list[NeedRecord]) -> None:
    existing = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_([r.id for r in records])))}
    for rec in records:
        row = existing.get(rec.id)
        if row is None:
            row = existing[rec.id] = Need(id=rec.id)
            session.add(row)
        row.title, row.description, row.status = rec.title, rec.description, rec.status
        row.organization = clean(rec.organization) or None
        row.region, row.field = rec.region, rec.field


def _institution_row(
    session: Session, rec: InstitutionRecord, key: str, resolver: InstitutionResolver, *, strict: bool
) -> Institution | None:
    """The row `rec` writes to (None: a new one). A write changes the row it names or fails: an id whose name
    belongs to another institution is a ConflictError; so is a new id with a taken name when `strict` (the API;
    a file import merges it into the institution of that name)."""
    by_name = resolver.by_key.get(key)
    wanted = rec.id or stable_id("I", key)
    by_id = session.scalar(select(Institution).where(Institution.id == wanted))
    if by_id is not None and by_name is not None and by_id is not by_name:
        raise ConflictError(f"institution {wanted!r} cannot take the name {rec.name!r}: {by_name.id!r} has it")
    if by_id is None and by_name is not None and rec.id and strict:
        raise ConflictError(f"the name {rec.name!r} belongs to institution {by_name.id!r}, not {rec.id!r}")
    if by_id is not None and by_name is None and not rec.id:
        raise ConflictError(f"institution {wanted!r} (the id its name gives) is now named {by_id.name!r}")
    return by_id or by_name


def upsert_institutions(
    session: Session, *, records: list[InstitutionRecord], resolver: InstitutionResolver, strict: bool = False
) -> None:
    for rec in records:
        key = institution_key(rec.name)
        row = _institution_row(session, rec, key, resolver, strict=strict)
        if row is None:
            row = Institution(id=rec.id or stable_id("I", key), key=key)
            session.add(row)
        row.name, row.key = clean(rec.name), key
        row.type, row.region, row.group = rec.type, rec.region, rec.group
        row.aliases = sorted({clean(a) for a in [*(row.aliases or []), *rec.aliases]})
        resolver.add(row)


def upsert_experts(session: Session, *, records: list[ExpertRecord], resolver: InstitutionResolver) -> None:
    ids = [expert_id(r.name, resolver.canonical(r.institution or ""), r.id) for r in records]
    existing = experts_by_id(session, ids)
    for rec, eid in zip(records, ids, strict=True):
        row = existing.get(eid)
        if row is None:
            row = existing[eid] = Expert(id=eid)
            session.add(row)
        row.name, row.title, row.fields = clean(rec.name), rec.title, rec.fields
        row.region, row.capacity = rec.region, rec.capacity
        row.institution = resolver.get(rec.institution)


def _expert_rows(
    session: Session,
    refs: list[ExpertRef],
    fallback_institution: str | None,
    resolver: InstitutionResolver,
    cache: dict[str, Expert],
) -> list[Expert]:
    """Rows for the experts named in an outcome, created when new (institution defaults to the outcome's)."""
    rows: list[Expert] = []
    for ref in refs:
        eid = outcome_expert_id(ref.name, ref.id, ref.institution, fallback_institution, resolver.canonical)
        row = cache.get(eid)
        if row is None:
            row = cache[eid] = Expert(id=eid, name=clean(ref.name), fields=[])
            row.institution = resolver.get(ref.institution or fallback_institution)
            session.add(row)
        if row not in rows:
            rows.append(row)
    return rows


def upsert_outcomes(
    session: Session,
    *,
    records: list[OutcomeRecord],
    resolver: InstitutionResolver,
    tokenizer: Tokenizer,
    max_chars: int,
) -> None:
    existing = {o.id: o for o in session.scalars(select(Outcome).where(Outcome.id.in_([r.id for r in records])))}
    ref_ids = [
        outcome_expert_id(ref.name, ref.id, ref.institution, rec.institution, resolver.canonical)
        for rec in records
        for ref in rec.experts
    ]
    expert_cache = experts_by_id(session, ref_ids)
    links: list[tuple[Outcome, list[Expert]]] = []
    for rec in records:
        row = existing.get(rec.id)
        if row is None:
            row = existing[rec.id] = Outcome(id=rec.id)
            session.add(row)
        _fill_outcome(row, rec, resolver, tokenizer, max_chars)
        links.append((row, _expert_rows(session, rec.experts, rec.institution, resolver, expert_cache)))
    session.flush()
    _replace_links(session, links)


def _fill_outcome(
    row: Outcome, rec: OutcomeRecord, resolver: InstitutionResolver, tokenizer: Tokenizer, max_chars: int
) -> None:
    row.kind, row.title, row.abstract = rec.kind, rec.title, rec.abstract
    row.keywords = [clean(k) for k in rec.keywords if clean(k)]
    row.year, row.field, row.region, row.trl = rec.year, rec.field, rec.region, rec.trl
    row.institution = resolver.get(rec.institution)
    row.text_hash = text_hash(compose(rec.title, rec.abstract, max_chars))
    words = tokenizer.tokens(outcome_text(rec.title, rec.abstract, row.keywords))
    row.tokens = " ".join(words)


def _replace_links(session: Session, links: list[tuple[Outcome, list[Expert]]]) -> None:
    pks = [outcome.pk for outcome, _ in links]
    session.execute(delete(OutcomeExpert).where(OutcomeExpert.outcome_pk.in_(pks)))
    session.add_all(
        OutcomeExpert(outcome_pk=outcome.pk, expert_pk=expert.pk, position=i)
        for outcome, experts in links
        for i, expert in enumerate(experts)
    )

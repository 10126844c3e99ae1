"""Idempotent upserts of validated records, one batch per call, inside the caller's transaction.

A write never erases by accident: an import writes only the fields its file carries (`partial`: a column the
file lacks, an empty cell, changes nothing unless `--clear-empty`), the API writes the record it is given; every
changed field is written down (`changes.Writer`). An institution is found by its name, an alias or as a sub-unit
of a stored university, and its stored name changes only when a record names its id (an explicit rename).

An expert is one person by name and unit (`resolve`). An expert row of a file that meets a stored expert of the
same name and unit is merged only when one more fact agrees (email, phone, a shared outcome, overlapping 研究方向);
when nothing agrees it is stored apart and the pair recorded as a possible duplicate for staff to confirm
(`experts_merge.py`). Every merge is written down with its direction, evidence and what undoing it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.errors import ConflictError
from matcher.ingest.experts_merge import Provenance, agreeing, conflicting, expert_values, note_duplicate
from matcher.records import ExpertRecord, ExpertRef, InstitutionRecord, NeedRecord, OutcomeRecord
from matcher.services.changes import Writer
from matcher.store.resolve import InstitutionResolver, experts_by_id, written_expert_id
from matcher.store.tables import Expert, Institution, Need, Outcome, OutcomeExpert
from matcher.text.normalize import clean, compose, institution_key, outcome_text, stable_id, text_hash
from matcher.text.tokenize import Tokenizer

__all__ = ["Provenance", "upsert_experts", "upsert_institutions", "upsert_needs", "upsert_outcomes"]


def chosen(rec: Any, *, partial: bool, new: bool) -> set[str]:
    """The fields an upsert writes: all of a new record or a full write, else those the record carries."""
    names = set(type(rec).model_fields) - {"id"}
    return names if new or not partial else set(rec.model_fields_set) & names


def _contacts(old: dict[str, Any] | None, rec: Any, partial: bool) -> dict[str, Any] | None:
    if rec.contacts is None:
        return None
    given = {str(k): v for k, v in rec.contacts.items()}
    return {**(old or {}), **given} if partial else given


def _ids(name: str, given: str | None, unit: str, registered: bool) -> list[str]:
    """The ids an expert reference may be stored under: as given, else by name and (main) unit, and as once
    written (a university's 研究院 registered on its own: only as written)."""
    if given:
        return [given]
    from matcher.store.resolve import expert_id

    if registered:
        return [written_expert_id(name, unit)]
    return list(dict.fromkeys([expert_id(name, unit, None), written_expert_id(name, unit)]))


def upsert_needs(session: Session, *, records: list[NeedRecord], writer: Writer, partial: bool = False) -> None:
    existing = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_([r.id for r in records])))}
    for rec in records:
        row = existing.get(rec.id)
        new = row is None
        if row is None:
            row = existing[rec.id] = Need(id=rec.id)
            session.add(row)
        names = chosen(rec, partial=partial, new=new)
        values = {n: getattr(rec, n) for n in names if n != "contacts"}
        if "organization" in values:
            values["organization"] = clean(values["organization"]) or None
        if "contacts" in names:
            values["contacts"] = _contacts(row.contacts, rec, partial)
        writer.count(row.id, new, writer.apply(session, row, "needs", values, new=new))


def _institution_row(
    session: Session, rec: InstitutionRecord, resolver: InstitutionResolver, *, strict: bool
) -> Institution | None:
    """The row `rec` writes to (None: a new one). Without an id: the institution its name finds (by name, alias or
    as a sub-unit), never renamed. With an id: that row (renamed to `rec.name` if it differs: explicit); an id
    whose name belongs to another institution is a ConflictError, and so is a new id with a taken name when
    `strict` (the API; a file import writes to the institution of that name)."""
    key = institution_key(rec.name)
    by_name = resolver.by_key.get(key)
    if not rec.id:
        return resolver.find(rec.name, sub_units=False)
    by_id = session.scalar(select(Institution).where(Institution.id == rec.id))
    if by_id is not None and by_name is not None and by_id is not by_name:
        raise ConflictError(f"单位 {rec.id} 不能改名为「{rec.name}」：该名称属于单位 {by_name.id}")
    if by_id is None and by_name is not None and strict:
        raise ConflictError(f"名称「{rec.name}」属于单位 {by_name.id}，不是 {rec.id}")
    return by_id or by_name


def upsert_institutions(
    session: Session,
    *,
    records: list[InstitutionRecord],
    resolver: InstitutionResolver,
    writer: Writer,
    strict: bool = False,
    partial: bool = False,
) -> None:
    for rec in records:
        row = _institution_row(session, rec, resolver, strict=strict)
        new = row is None
        if row is None:
            key = institution_key(rec.name)
            row = Institution(id=rec.id or stable_id("I", key), key=key, name=clean(rec.name), aliases=[])
            session.add(row)
        names = chosen(rec, partial=partial, new=new) - {"name", "aliases"}
        values: dict[str, Any] = {n: getattr(rec, n) for n in names}
        written = clean(rec.name)
        aliases = {clean(a) for a in [*(row.aliases or []), *rec.aliases]}
        if rec.id and row.name and institution_key(written) != row.key:  # an explicit rename keeps the old name
            aliases.add(row.name)
            values.update(name=written, key=institution_key(written))
        elif not new and institution_key(written) != row.key:
            aliases.add(written)  # found by an alias or as a sub-unit: remembered, never a rename
        values["aliases"] = sorted(
            a for a in aliases if institution_key(a) != institution_key(values.get("name", row.name))
        )
        writer.count(row.id, new, writer.apply(session, row, "institutions", values, new=new))
        resolver.add(row)


@dataclass
class _Batch:
    """Expert rows of one batch: found by id, and the rows this batch created or merged."""

    existing: dict[str, Expert]
    touched: set[str] = field(default_factory=set)


def upsert_experts(
    session: Session,
    *,
    records: list[ExpertRecord],
    resolver: InstitutionResolver,
    provenance: Provenance,
    partial: bool = False,
    strict: bool = False,
) -> None:
    units = [(resolver.unit(r.institution), resolver.registered(r.institution)) for r in records]
    options = [_ids(r.name, r.id, u, reg) for r, (u, reg) in zip(records, units, strict=True)]
    batch = _Batch(experts_by_id(session, [i for ids in options for i in ids]))
    for rec, ids in zip(records, options, strict=True):
        _upsert_expert(session, rec, ids, resolver, provenance, batch, partial=partial, strict=strict)
    provenance.write(session)


def _upsert_expert(
    session: Session,
    rec: ExpertRecord,
    ids: list[str],
    resolver: InstitutionResolver,
    provenance: Provenance,
    batch: _Batch,
    *,
    partial: bool,
    strict: bool,
) -> None:
    writer = provenance.writer
    eid = next((i for i in ids if i in batch.existing), ids[0])
    row = batch.existing.get(eid)
    if row is not None and rec.id and clean(row.name) != clean(rec.name) and not strict:
        raise ConflictError(f"专家编号 {rec.id} 是「{row.name}」，文件写作「{clean(rec.name)}」；改名请在页面中修改")
    if row is not None and not rec.id and provenance.needs_evidence(row):
        agree, differ = agreeing(session, row, rec), conflicting(row, rec)
        if not agree:
            other = _new_expert(session, rec, eid, provenance, batch)
            _fill_expert(session, other, rec, resolver, writer, partial=False, new=True, tally="possible_duplicates")
            note_duplicate(session, row, other, differ, provenance)
            return
        provenance.merge(session, row, rec, agree)
        _fill_expert(session, row, rec, resolver, writer, partial=True, new=False, tally="merged")
        batch.touched.add(row.id)
        return
    new = row is None
    if row is None:
        row = batch.existing[eid] = Expert(id=eid, sources=[])
        session.add(row)
    _fill_expert(session, row, rec, resolver, writer, partial=partial, new=new)
    provenance.named(row)
    batch.touched.add(row.id)


def _new_expert(session: Session, rec: ExpertRecord, eid: str, provenance: Provenance, batch: _Batch) -> Expert:
    """A second expert of the same name and unit (a possible duplicate), under an id of its own."""
    n = 2
    while (candidate := f"{eid}-{n}") in batch.existing or session.scalar(
        select(Expert.pk).where(Expert.id == candidate)
    ):
        n += 1
    row = batch.existing[candidate] = Expert(id=candidate, sources=[])
    session.add(row)
    provenance.named(row)
    return row


def _fill_expert(
    session: Session,
    row: Expert,
    rec: ExpertRecord,
    resolver: InstitutionResolver,
    writer: Writer,
    *,
    partial: bool,
    new: bool,
    tally: str | None = None,
) -> None:
    names = chosen(rec, partial=partial, new=new)
    values = expert_values(rec, names, row.contacts, partial)
    changed = False
    if "institution" in names and (rec.institution or not partial or new):
        institution = resolver.get(rec.institution)
        if institution is not row.institution:
            if not new:
                changed = writer.note(
                    session, "experts", row.id, "institution", _name(row.institution), _name(institution)
                )
            row.institution = institution
    changed = writer.apply(session, row, "experts", values, new=new) or changed
    if tally:
        writer.tally[tally] += 1
        writer.seen.add(row.id)
    else:
        writer.count(row.id, new, changed)


def _name(institution: Institution | None) -> str | None:
    return institution.name if institution is not None else None


def _expert_rows(
    session: Session,
    refs: list[ExpertRef],
    fallback_institution: str | None,
    resolver: InstitutionResolver,
    cache: dict[str, Expert],
    provenance: Provenance,
) -> list[Expert]:
    """Rows for the experts named in an outcome, created when new (institution defaults to the outcome's). A
    reference carries only a name and a unit: it is the stored expert of that name and unit, and a fold from
    another file is written down as a merge."""
    rows: list[Expert] = []
    for ref in refs:
        written = ref.institution or fallback_institution
        ids = _ids(ref.name, ref.id, resolver.unit(written), resolver.registered(written))
        eid = next((i for i in ids if i in cache), ids[0])
        row = cache.get(eid)
        if row is None:
            row = cache[eid] = Expert(id=eid, name=clean(ref.name), fields=[], sources=[])
            row.institution = resolver.get(written)
            session.add(row)
        elif not ref.id and row not in rows:
            provenance.fold(row, clean(ref.name), written)
        provenance.named(row)
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
    provenance: Provenance,
    partial: bool = False,
) -> None:
    from matcher.ingest.outcome_match import stored_outcomes

    existing = stored_outcomes(session, records)
    ref_ids = [
        i
        for rec in records
        for ref in rec.experts
        for written in [ref.institution or rec.institution]
        for i in _ids(ref.name, ref.id, resolver.unit(written), resolver.registered(written))
    ]
    expert_cache = experts_by_id(session, ref_ids)
    links: list[tuple[Outcome, list[Expert]]] = []
    writer = provenance.writer
    for rec in records:
        row = existing.get(rec.id)
        new = row is None
        if row is None:
            row = existing[rec.id] = Outcome(id=rec.id, sources=[])
            session.add(row)
        names = chosen(rec, partial=partial, new=new)
        changed = writer.apply(
            session,
            row,
            "outcomes",
            _outcome_values(session, writer, rec, names, row, resolver, tokenizer, max_chars),
            new=new,
        )
        if provenance.source and provenance.source not in (row.sources or []):
            row.sources = [*(row.sources or []), provenance.source][-20:]
        if row.id != rec.id:  # the same outcome from another export
            writer.tally["duplicates"] += 1
            writer.seen.add(row.id)
        else:
            writer.count(row.id, new, changed)
        if "experts" in names and (rec.experts or not partial):
            links.append((row, _expert_rows(session, rec.experts, rec.institution, resolver, expert_cache, provenance)))
    session.flush()
    provenance.write(session)
    _replace_links(session, links)


def _outcome_values(
    session: Session,
    writer: Writer,
    rec: OutcomeRecord,
    names: set[str],
    row: Outcome,
    resolver: InstitutionResolver,
    tokenizer: Tokenizer,
    max_chars: int,
) -> dict[str, Any]:
    values: dict[str, Any] = {n: getattr(rec, n) for n in names if n not in ("experts", "institution", "keywords")}
    if "keywords" in names:
        values["keywords"] = [clean(k) for k in rec.keywords if clean(k)]
    if "institution" in names and (rec.institution or "institution" in rec.model_fields_set):
        institution = resolver.get(rec.institution)
        if institution is not row.institution:
            if row.pk is not None:
                writer.note(session, "outcomes", row.id, "institution", _name(row.institution), _name(institution))
            row.institution = institution
    title = values.get("title", row.title) or ""
    abstract = values.get("abstract", row.abstract) or ""
    keywords = values.get("keywords", row.keywords or [])
    values["text_hash"] = text_hash(compose(title, abstract, max_chars))
    values["tokens"] = " ".join(tokenizer.tokens(outcome_text(title, abstract, keywords)))
    return values


def _replace_links(session: Session, links: list[tuple[Outcome, list[Expert]]]) -> None:
    pks = [outcome.pk for outcome, _ in links]
    session.execute(delete(OutcomeExpert).where(OutcomeExpert.outcome_pk.in_(pks)))
    session.add_all(
        OutcomeExpert(outcome_pk=outcome.pk, expert_pk=expert.pk, position=i)
        for outcome, experts in links
        for i, expert in enumerate(experts)
    )

"""Idempotent upserts of validated records, one batch per call, inside the caller's transaction.

An expert named without an id is one person by name and the main unit of their institution (`resolve.expert_id`):
the same person in two files (a patent list, a paper export) becomes one expert, two people sharing a name at
different institutions stay two. Every such fold into an expert that already existed is written down with its
reason (`ExpertMerge`), and counted in the import's summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.errors import ConflictError
from matcher.records import ExpertRecord, ExpertRef, InstitutionRecord, NeedRecord, OutcomeRecord
from matcher.store.resolve import InstitutionResolver, expert_id, experts_by_id, main_unit, written_expert_id
from matcher.store.tables import Expert, ExpertMerge, Institution, Need, Outcome, OutcomeExpert
from matcher.text.normalize import clean, compose, institution_key, outcome_text, stable_id, text_hash
from matcher.text.tokenize import Tokenizer


@dataclass
class Provenance:
    """Where the records of an import come from (a file name; None for the API), and the experts it merged."""

    source: str | None = None
    merged: set[int] = field(default_factory=set)
    pending: list[tuple[Expert, str, str | None, str]] = field(default_factory=list)
    before: dict[str, tuple[str, ...]] = field(default_factory=dict)  # expert id → its sources before this import

    def named(self, row: Expert) -> None:
        self.before.setdefault(row.id, tuple(row.sources or []))
        if self.source and self.source not in (row.sources or []):
            row.sources = [*(row.sources or []), self.source][-20:]

    def fold(self, row: Expert, name: str, written: str | None) -> None:
        """`row` existed before this reference named it: a merge when the reference came from another file or
        wrote the institution another way (once: importing the same file again merges nothing new)."""
        earlier = self.before.get(row.id, tuple(row.sources or []))
        if self.source and self.source in earlier:
            return
        reasons = []
        others = [s for s in earlier if s != self.source]
        if self.source and others:
            reasons.append(f"同名同单位（{main_unit(row.institution.name) if row.institution else '单位未填'}），"
                           f"已由 {'、'.join(others[:2])} 导入")  # fmt: skip
        current = row.institution.name if row.institution else None
        if written and current and institution_key(written) != institution_key(current):
            reasons.append(f"单位写法不同：{written} → {current}")
        if reasons:
            self.pending.append((row, name, written, "；".join(reasons)))

    def write(self, session: Session) -> None:
        """The merges noted since the last write, as rows (the experts have their pks by now)."""
        session.flush()
        for row, name, written, reason in self.pending:
            self.merged.add(row.pk)
            session.add(ExpertMerge(expert_pk=row.pk, name=name, institution=written, source=self.source or "API",
                                    reason=reason))  # fmt: skip
        self.pending.clear()


def _derived_ids(name: str, given: str | None, canonical: str) -> list[str]:
    """The ids an expert reference may already be stored under: as given, else folded and as once written."""
    if given:
        return [given]
    return list(dict.fromkeys([expert_id(name, canonical, None), written_expert_id(name, canonical)]))


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
        row.contacts = {str(k): v for k, v in rec.contacts.items()} if rec.contacts is not None else row.contacts


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
        raise ConflictError(f"机构 {wanted} 不能改名为「{rec.name}」：这个名称已属于机构 {by_name.id}")
    if by_id is None and by_name is not None and rec.id and strict:
        raise ConflictError(f"名称「{rec.name}」已属于机构 {by_name.id}，不是 {rec.id}")
    if by_id is not None and by_name is None and not rec.id:
        raise ConflictError(f"机构 {wanted}（按名称得出的编号）现名为「{by_id.name}」")
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


def upsert_experts(
    session: Session, *, records: list[ExpertRecord], resolver: InstitutionResolver, provenance: Provenance
) -> None:
    options = [_derived_ids(r.name, r.id, resolver.canonical(r.institution or "")) for r in records]
    existing = experts_by_id(session, [i for ids in options for i in ids])
    for rec, ids in zip(records, options, strict=True):
        eid = next((i for i in ids if i in existing), ids[0])
        row = existing.get(eid)
        if row is None:
            row = existing[eid] = Expert(id=eid, sources=[])
            session.add(row)
        elif not rec.id:
            provenance.fold(row, clean(rec.name), rec.institution)
        row.name, row.title, row.fields = clean(rec.name), rec.title, rec.fields
        row.region, row.capacity = rec.region, rec.capacity
        row.contacts = {str(k): v for k, v in rec.contacts.items()} if rec.contacts is not None else row.contacts
        row.institution = resolver.get(rec.institution)
        provenance.named(row)
    provenance.write(session)


def _expert_rows(
    session: Session,
    refs: list[ExpertRef],
    fallback_institution: str | None,
    resolver: InstitutionResolver,
    cache: dict[str, Expert],
    provenance: Provenance,
) -> list[Expert]:
    """Rows for the experts named in an outcome, created when new (institution defaults to the outcome's)."""
    rows: list[Expert] = []
    for ref in refs:
        written = ref.institution or fallback_institution
        ids = _derived_ids(ref.name, ref.id, resolver.canonical(written or ""))
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
) -> None:
    existing = {o.id: o for o in session.scalars(select(Outcome).where(Outcome.id.in_([r.id for r in records])))}
    ref_ids = [
        i
        for rec in records
        for ref in rec.experts
        for i in _derived_ids(ref.name, ref.id, resolver.canonical(ref.institution or rec.institution or ""))
    ]
    expert_cache = experts_by_id(session, ref_ids)
    links: list[tuple[Outcome, list[Expert]]] = []
    for rec in records:
        row = existing.get(rec.id)
        if row is None:
            row = existing[rec.id] = Outcome(id=rec.id)
            session.add(row)
        _fill_outcome(row, rec, resolver, tokenizer, max_chars)
        links.append((row, _expert_rows(session, rec.experts, rec.institution, resolver, expert_cache, provenance)))
    session.flush()
    provenance.write(session)
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

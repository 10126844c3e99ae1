"""One outcome, one record across exports: the stored outcome an imported one is.

By id first (a DOI or a patent's application / publication number gives the id, `shape.derived_id`); else the
same title (normalised: width, case, punctuation and spaces), the same year and at least one author in common —
so a CNKI RIS and an EndNote export of one paper, written with different institutions, are one outcome. A match
under another id is counted as a duplicate; the record is written to the stored outcome, and both files are kept
in its `sources`.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.records import OutcomeRecord
from matcher.store.tables import Outcome
from matcher.text.normalize import clean

_PUNCT = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """A title as compared: NFKC, lower case, without punctuation or spaces."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", title).lower())


def _authors(row: Outcome) -> set[str]:
    return {clean(link.expert.name) for link in row.expert_links}


def stored_outcomes(session: Session, records: list[OutcomeRecord]) -> dict[str, Outcome]:
    """rec.id → the stored outcome each record writes to (absent: a new outcome)."""
    found = {o.id: o for o in session.scalars(select(Outcome).where(Outcome.id.in_([r.id for r in records])))}
    rest = [r for r in records if r.id not in found and r.year is not None and r.experts]
    if not rest:
        return found
    titles = {clean(r.title) for r in rest}
    candidates = list(session.scalars(select(Outcome).where(Outcome.title.in_(titles))))
    by_key: dict[tuple[str, int | None], list[Outcome]] = {}
    for row in candidates:
        by_key.setdefault((title_key(row.title), row.year), []).append(row)
    for rec in rest:
        names = {clean(e.name) for e in rec.experts}
        match = next((row for row in by_key.get((title_key(rec.title), rec.year), []) if _authors(row) & names), None)
        if match is not None:
            found[rec.id] = match
    return found

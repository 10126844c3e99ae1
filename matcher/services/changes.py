"""Field-level writes that never erase by accident and are always on record.

An upsert names the fields a record carries (a file's columns, an API body); only those are written, and each
value that differs from the stored one is written down as a `RecordChange` (kind, record, field, old → new, the
file or API, the user). `Tally` counts what happened to each record of an import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.tables import RecordChange

SNAPSHOT = ("name", "title", "fields", "region", "capacity", "contacts", "sources")  # an expert, as undo restores it
OUTCOMES = ("created", "updated", "unchanged", "merged", "duplicates", "possible_duplicates", "rejected")


def _plain(value: Any) -> Any:
    """A stored value as JSON holds it (the change log's old/new)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


@dataclass
class Writer:
    """Who writes (the file or API, the user) and what changed, for one import or one API call."""

    source: str = "API"
    actor: str | None = None
    tally: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)  # records this import wrote (a second row of one is a duplicate)

    def apply(self, session: Session, row: Any, kind: str, values: dict[str, Any], *, new: bool) -> bool:
        """Set `values` on `row`; record each changed field (not on a new row); True when anything changed."""
        changed = False
        for name, value in values.items():
            old = getattr(row, name, None)
            if _plain(old) == _plain(value):
                continue
            setattr(row, name, value)
            changed = True
            if not new:
                session.add(
                    RecordChange(
                        kind=kind,
                        record_id=row.id,
                        field=name,
                        old=_plain(old),
                        new=_plain(value),
                        source=self.source[:300],
                        actor=self.actor,
                    )
                )
        return changed

    def note(self, session: Session, kind: str, record_id: str, name: str, old: Any, new: Any) -> bool:
        """Record one change made by hand (a relation such as the institution); True when it is one."""
        if _plain(old) == _plain(new):
            return False
        session.add(
            RecordChange(
                kind=kind,
                record_id=record_id,
                field=name,
                old=_plain(old),
                new=_plain(new),
                source=self.source[:300],
                actor=self.actor,
            )
        )
        return True

    def count(self, record_id: str, new: bool, changed: bool) -> None:
        """One row's outcome: created, updated or unchanged — or a duplicate of a row earlier in the file."""
        if record_id in self.seen:
            self.tally["duplicates"] += 1
        else:
            self.tally["created" if new else "updated" if changed else "unchanged"] += 1
        self.seen.add(record_id)

    def mark(self) -> tuple[Counter[str], set[str]]:
        return Counter(self.tally), set(self.seen)

    def reset(self, marked: tuple[Counter[str], set[str]]) -> None:
        """Back to `mark` (a batch the database refused is counted again row by row)."""
        self.tally, self.seen = Counter(marked[0]), set(marked[1])


def history(session: Session, *, kind: str, record_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The changes of one record, newest first: field, old → new, the file or API, who, when."""
    rows = session.scalars(
        select(RecordChange)
        .where(RecordChange.kind == kind, RecordChange.record_id == record_id)
        .order_by(RecordChange.pk.desc())
        .limit(limit)
    )
    return [
        {"field": r.field, "old": r.old, "new": r.new, "source": r.source, "actor": r.actor, "at": r.created_at}
        for r in rows
    ]


def snapshot(row: Any) -> dict[str, Any]:
    """What undoing a merge into expert `row` restores: its values before, and its institution."""
    values = {n: _plain(getattr(row, n)) for n in SNAPSHOT}
    values["institution_pk"] = row.institution_pk
    return values

"""`batch diff`: which (need, expert) proposals one run added or dropped relative to another."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.assign.runs import get_run
from matcher.store.tables import Match, Need


@dataclass(frozen=True)
class RunDiff:
    old: str
    new: str
    added: list[tuple[str, str]]
    dropped: list[tuple[str, str]]
    kept: int


def pairs(session: Session, run_pk: int) -> set[tuple[str, str]]:
    """(need id, expert id) of a run's proposals (alternates not included)."""
    rows = session.execute(
        select(Need.id, Match.target_id)
        .join(Need, Need.pk == Match.need_pk)
        .where(Match.run_pk == run_pk, Match.role == "proposal")
    )
    return set(rows.all())


def diff_runs(session: Session, *, old: str, new: str) -> RunDiff:
    before = pairs(session, get_run(session, run_id=old).pk)
    after = pairs(session, get_run(session, run_id=new).pk)
    return RunDiff(old, new, sorted(after - before), sorted(before - after), len(before & after))

"""The change feed: every flush that stores, changes or deletes an outcome, expert, need or institution writes one
`changes` row per record in the same transaction, so a server (this one, or another host on the same database)
learns what its indexes lack by reading the feed past its position. Registered on the session factories
(`db.session_factory`), so every write through the library is in the feed, whatever edge made it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from matcher.store.tables import Change, Expert, Institution, Need, Outcome

KINDS: dict[type, str] = {Outcome: "outcomes", Expert: "experts", Need: "needs", Institution: "institutions"}


def record_changes(session: Session, _context: Any) -> None:
    """`after_flush` hook: the flushed records of the kinds the indexes read, as feed rows."""
    rows = [
        {"kind": KINDS[type(obj)], "item_id": str(obj.id), "op": op}
        for op, objects in (("upsert", session.new), ("upsert", session.dirty), ("delete", session.deleted))
        for obj in objects
        if type(obj) in KINDS and (op != "upsert" or obj in session.new or session.is_modified(obj))
    ]
    if rows:
        session.connection().execute(insert(Change), rows)


def position(session: Session) -> int:
    """The feed's newest position (0: nothing was ever written)."""
    return int(session.scalar(select(func.max(Change.seq))) or 0)


def changed_since(session: Session, seq: int) -> dict[str, int]:
    """How many records of each kind changed after position `seq`."""
    rows = session.execute(select(Change.kind, func.count()).where(Change.seq > seq).group_by(Change.kind))
    return {kind: int(n) for kind, n in rows}

"""`matcher index verify`: the loaded indexes (checksums verified on load) compared with the store, outcome by
outcome — the text hash each outcome was embedded from against the stored one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.index.build import diff
from matcher.index.loaded import Indexes
from matcher.store.tables import Outcome


def verify(sessions: sessionmaker[Session], idx: Indexes) -> dict[str, Any]:
    with sessions() as session:
        rows = session.execute(select(Outcome.pk, Outcome.text_hash, Outcome.id)).all()
    stored = {pk: h for pk, h, _ in rows}
    ids = {pk: i for pk, _, i in rows}
    found = diff(list(stored.items()), idx.dense)
    stale = {"changed": found.update, "missing": found.add, "deleted": found.remove}
    return {
        "ok": not any(stale.values()),
        "indexed": idx.dense.count,
        "stored": len(stored),
        **{name: len(pks) for name, pks in stale.items()},
        "examples": {name: [ids.get(pk, str(pk)) for pk in pks[:5]] for name, pks in stale.items() if pks},
        "embedder": idx.manifest["embedder"],
        "index_type": idx.dense.kind,
    }

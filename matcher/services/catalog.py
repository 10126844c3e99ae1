"""Outcomes, experts and institutions: read, list, delete (creation goes through the import upserts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matcher.errors import NotFoundError
from matcher.services.changes import history as changes
from matcher.store.resolve import InstitutionResolver, expert_id
from matcher.store.tables import Expert, ExpertMerge, Institution, Need, Outcome

TABLES: dict[str, Any] = {"outcomes": Outcome, "experts": Expert, "institutions": Institution}
KIND_WORD = {"outcomes": "成果", "experts": "专家", "institutions": "单位"}
SEARCHABLE = {"outcomes": ("title", "abstract"), "experts": ("name",), "institutions": ("name",)}


def get_item(session: Session, *, kind: str, item_id: str) -> Any:
    table = TABLES[kind]
    row = session.scalar(select(table).where(table.id == item_id))
    if row is None:
        raise NotFoundError(f"找不到{KIND_WORD.get(kind, kind)}（编号 {item_id}）")
    return row


def stored_row(session: Session, *, kind: str, record: Any) -> Any:
    """The row an upserted record landed in: by its id, else by the id the import derives (an expert's from name
    + canonical institution, an institution by its normalised name or alias)."""
    if record.id:
        return get_item(session, kind=kind, item_id=record.id)
    resolver = InstitutionResolver(session)
    if kind == "experts":
        derived = expert_id(record.name, resolver.canonical(record.institution or ""), None)
        return get_item(session, kind=kind, item_id=derived)
    institution = resolver.get(record.name)
    if institution is None:
        raise NotFoundError(f"找不到名为「{record.name}」的单位")
    return institution


def list_items(
    session: Session, *, kind: str, q: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[Any], int]:
    table = TABLES[kind]
    query = select(table)
    if q:
        query = query.where(or_(*(getattr(table, col).contains(q, autoescape=True) for col in SEARCHABLE[kind])))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(table.pk).offset(offset).limit(limit))), total


def delete_item(session: Session, *, kind: str, item_id: str) -> None:
    session.delete(get_item(session, kind=kind, item_id=item_id))


def list_merges(session: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """The references imports folded into existing experts, newest first: who, as written, the file, why."""
    rows = session.execute(
        select(ExpertMerge, Expert.id, Expert.name)
        .join(Expert, Expert.pk == ExpertMerge.expert_pk)
        .order_by(ExpertMerge.pk.desc())
        .limit(limit)
    )
    return [
        {
            "pk": merge.pk,
            "direction": merge.direction,
            "evidence": merge.evidence or [],
            "undone": merge.undone_at is not None,
            "expert_id": expert_id_,
            "expert": name,
            "written": merge.name,
            "institution": merge.institution,
            "source": merge.source,
            "reason": merge.reason,
            "at": merge.created_at,
        }
        for merge, expert_id_, name in rows
    ]


def history(session: Session, *, kind: str, record_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """A record's changed fields, newest first: field, old → new, the file or API, who, when."""
    return changes(session, kind=kind, record_id=record_id, limit=limit)


def counts(session: Session) -> dict[str, int]:
    """How many institutions, experts, outcomes, needs and open needs the store holds."""
    found = {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in (("institutions", Institution), ("experts", Expert), ("outcomes", Outcome), ("needs", Need))
    }
    found["open_needs"] = session.scalar(select(func.count()).where(Need.status == "open")) or 0
    return found

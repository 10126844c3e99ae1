"""Needs: create, list with filters, get, update, close."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matcher.errors import ConflictError, InputError, NotFoundError
from matcher.records import NeedRecord
from matcher.services.changes import Writer
from matcher.store.db import flush_or_conflict
from matcher.store.tables import Need
from matcher.text.normalize import clean

EDITABLE = ("title", "description", "organization", "region", "field", "status")


def get_need(session: Session, *, need_id: str) -> Need:
    need = session.scalar(select(Need).where(Need.id == need_id))
    if need is None:
        raise NotFoundError(f"找不到需求（编号 {need_id}）")
    return need


def create_need(session: Session, *, record: NeedRecord) -> Need:
    if session.scalar(select(Need.pk).where(Need.id == record.id)) is not None:
        raise ConflictError(f"编号为 {record.id} 的需求已存在")
    need = Need(
        id=record.id,
        title=record.title,
        description=record.description,
        status=record.status,
        organization=clean(record.organization) or None,
        region=record.region,
        field=record.field,
    )
    session.add(need)
    flush_or_conflict(session, f"a need with id {record.id!r} exists already")
    return need


def update_need(session: Session, *, need_id: str, changes: dict[str, Any], actor: str | None = None) -> Need:
    need = get_need(session, need_id=need_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InputError(f"这些字段不能修改：{'、'.join(sorted(unknown))}")
    try:
        merged = NeedRecord.model_validate({**{k: getattr(need, k) for k in EDITABLE}, "id": need.id, **changes})
    except ValidationError as exc:
        raise InputError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])) from exc
    Writer(source="API", actor=actor).apply(session, need, "needs", {k: getattr(merged, k) for k in changes}, new=False)
    session.flush()
    return need


def list_needs(
    session: Session,
    *,
    status: str | None = None,
    field: str | None = None,
    region: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[Need], int]:
    query = select(Need)
    if status:
        query = query.where(Need.status == status)
    if field:
        query = query.where(Need.field == field)
    if region:
        query = query.where(Need.region == region)
    if q:
        # a literal substring: % and _ typed by staff are not wildcards
        columns = (Need.title, Need.description, Need.organization)
        query = query.where(or_(*(column.contains(q, autoescape=True) for column in columns)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Need.pk.desc()).offset(offset).limit(limit))
    return list(rows), total

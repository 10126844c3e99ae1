"""The exclusion list: an expert never proposed for one need, or for any need of one organisation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import InputError, NotFoundError
from matcher.services.needs import get_need
from matcher.store.tables import Exclusion, Expert, Need
from matcher.text.normalize import institution_key


def add_exclusion(
    session: Session, *, expert_id: str, need_id: str | None, organization: str | None, reason: str
) -> Exclusion:
    if (need_id is None) == (organization is None):
        raise InputError("请指定一条需求或一家单位（二选一）来排除该专家")
    if not reason.strip():
        raise InputError("排除须填写原因")
    expert = session.scalar(select(Expert).where(Expert.id == expert_id))
    if expert is None:
        raise NotFoundError(f"找不到专家（编号 {expert_id}）")
    key = institution_key(organization) if organization else None
    if organization is not None and not key:
        raise InputError("单位名称不能为空")
    need_pk = get_need(session, need_id=need_id).pk if need_id else None
    same = session.scalar(
        select(Exclusion).where(
            Exclusion.expert_pk == expert.pk,
            Exclusion.need_pk.is_(None) if need_pk is None else Exclusion.need_pk == need_pk,
            Exclusion.organization_key.is_(None) if key is None else Exclusion.organization_key == key,
        )
    )
    if same is not None:  # the same exclusion again: one row, the newest reason
        same.reason = reason.strip()
        session.flush()
        return same
    row = Exclusion(expert_pk=expert.pk, need_pk=need_pk, organization_key=key, reason=reason.strip())
    session.add(row)
    session.flush()
    return row


def list_exclusions(session: Session) -> list[Exclusion]:
    return list(session.scalars(select(Exclusion).order_by(Exclusion.pk)))


def remove_exclusion(session: Session, *, pk: int) -> None:
    row = session.get(Exclusion, pk)
    if row is None:
        raise NotFoundError(f"找不到第 {pk} 条排除记录")
    session.delete(row)
    session.flush()


def describe(session: Session, row: Exclusion) -> dict[str, Any]:
    """An exclusion with the ids people use (expert id, need id) instead of internal keys."""
    expert = session.get(Expert, row.expert_pk)
    need = session.get(Need, row.need_pk) if row.need_pk else None
    return {
        "id": row.pk,
        "expert_id": expert.id if expert else None,
        "need_id": need.id if need else None,
        "organization_key": row.organization_key,
        "reason": row.reason,
        "created_at": row.created_at,
    }

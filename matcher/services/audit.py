"""The audit log: every write through the service records who did what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.tables import AuditEntry


def record(
    session: Session, *, actor: str, role: str, action: str, resource: str, detail: dict[str, Any] | None = None
) -> None:
    session.add(AuditEntry(actor=actor, role=role, action=action, resource=resource, detail=detail or {}))


def recent(session: Session, *, limit: int = 100) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.pk.desc()).limit(limit)))

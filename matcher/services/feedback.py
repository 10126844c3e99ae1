"""Staff feedback on a proposed pairing, through its stages; it becomes training data for the ranker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import InputError, NotFoundError
from matcher.services.needs import get_need
from matcher.store.stages import ACCEPTED, STAGES
from matcher.store.tables import Expert, Feedback, Institution, Need, Outcome

TARGETS: dict[str, Any] = {"outcome": Outcome, "expert": Expert, "institution": Institution}


def record_feedback(
    session: Session, *, need_id: str, level: str, target_id: str, stage: str, reason: str | None, actor: str
) -> Feedback:
    if stage not in STAGES:
        raise InputError(f"stage must be one of {', '.join(STAGES)}")
    if level not in TARGETS:
        raise InputError(f"level must be one of {', '.join(TARGETS)}")
    if stage == "rejected" and not (reason or "").strip():
        raise InputError("a rejection needs a reason")
    need = get_need(session, need_id=need_id)
    table = TARGETS[level]
    if session.scalar(select(table.pk).where(table.id == target_id)) is None:
        raise NotFoundError(f"no {level} with id {target_id!r}")
    row = Feedback(need_pk=need.pk, level=level, target_id=target_id, stage=stage, reason=reason, created_by=actor)
    session.add(row)
    session.flush()
    return row


def feedback_for(session: Session, *, need_id: str) -> list[Feedback]:
    need = get_need(session, need_id=need_id)
    return list(session.scalars(select(Feedback).where(Feedback.need_pk == need.pk).order_by(Feedback.pk)))


def latest_stages(session: Session, *, need_id: str) -> dict[tuple[str, str], str]:
    """(level, target id) → the latest stage recorded for this need."""
    return {(f.level, f.target_id): f.stage for f in feedback_for(session, need_id=need_id)}


def track_record(session: Session) -> dict[int, int]:
    """Expert pk → number of pairings staff moved to meeting or beyond (the accepted stages)."""
    rows = session.execute(
        select(Expert.pk, func.count(Feedback.pk))
        .join(Expert, Feedback.target_id == Expert.id)
        .where(Feedback.level == "expert", Feedback.stage.in_(ACCEPTED))
        .group_by(Expert.pk)
    )
    return {pk: n for pk, n in rows}


def stages_for_target(session: Session, *, level: str, target_id: str) -> dict[str, str]:
    """Need id → the latest stage recorded for pairing it with this expert, institution or outcome (the reverse
    direction reads the same rows the forward one writes)."""
    rows = session.execute(
        select(Need.id, Feedback.stage)
        .join(Need, Feedback.need_pk == Need.pk)
        .where(Feedback.level == level, Feedback.target_id == target_id)
        .order_by(Feedback.pk)
    )
    return {need_id: stage for need_id, stage in rows}

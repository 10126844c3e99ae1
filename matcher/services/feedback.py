"""Staff feedback on a proposed pairing, through its stages; it becomes training data for the ranker."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import ConflictError, InputError, NotFoundError
from matcher.levels import EXPERT
from matcher.records import LEVEL_ZH
from matcher.services.needs import get_need
from matcher.store.db import lock_key
from matcher.store.stages import ACCEPTED, STAGES, gain, is_forward
from matcher.store.tables import Engagement, Expert, Feedback, Institution, Need, Outcome

TARGETS: dict[str, Any] = {"outcome": Outcome, "expert": Expert, "institution": Institution}


def record_feedback(
    session: Session,
    *,
    need_id: str,
    level: str,
    target_id: str,
    stage: str,
    reason: str | None,
    actor: str,
    correction: bool = False,
    on: date | None = None,
    closed_ok: bool = False,
) -> Feedback:
    """Record a decision on pairing a need with a target: a step of the pair's engagement (对接 record, opened
    here when the pair has none). A closed need takes none (unless `closed_ok`: a ledger telling what happened);
    a move that does not go forward (`stages.is_forward`) is refused unless asked for as a `correction`, and then
    recorded as one. `on` is the day the stage was reached when it was not today."""
    if stage not in STAGES:
        raise InputError(f"stage must be one of {', '.join(STAGES)}")
    if level not in TARGETS:
        raise InputError(f"level must be one of {', '.join(TARGETS)}")
    if stage == "rejected" and not (reason or "").strip():
        raise InputError("标记为不合适时须填写原因")
    need = get_need(session, need_id=need_id)
    if need.status != "open" and not closed_ok:
        raise ConflictError(f"需求 {need.title} 已关闭，不再记录对接进展")
    table = TARGETS[level]
    if session.scalar(select(table.pk).where(table.id == target_id)) is None:
        raise NotFoundError(f"找不到{LEVEL_ZH.get(level, level)}（编号 {target_id}）")
    lock_key(session, "feedback", str(need.pk), level, target_id)  # concurrent steps on one pair queue here
    before = latest_stage(session, need_pk=need.pk, level=level, target_id=target_id)
    backwards = not is_forward(before, stage)
    if backwards and not correction:
        raise ConflictError(
            f"对接进展已是「{STAGES[before].label if before else ''}」，改为「{STAGES[stage].label}」是更正，"
            "须确认后才能记录"
        )
    row = Feedback(need_pk=need.pk, level=level, target_id=target_id, stage=stage, reason=reason,
                   correction=backwards, created_by=actor, stage_date=on)  # fmt: skip
    session.add(row)
    engagement_of(session, need_pk=need.pk, level=level, target_id=target_id, actor=actor).stage = stage
    session.flush()
    return row


def engagement_of(session: Session, *, need_pk: int, level: str, target_id: str, actor: str) -> Engagement:
    """The pair's engagement, opened (at 推荐, source `feedback`, kept by whoever recorded it) when the pair has
    none yet."""
    query = select(Engagement).where(Engagement.need_pk == need_pk, Engagement.level == level)
    found = session.scalar(query.where(Engagement.target_id == target_id))
    if found is None:
        found = Engagement(need_pk=need_pk, level=level, target_id=target_id, stage="proposed", notes="",
                           source="feedback", created_by=actor, owner=actor)  # fmt: skip
        session.add(found)
    return found


def latest_stage(session: Session, *, need_pk: int, level: str, target_id: str) -> str | None:
    query = select(Feedback.stage).where(Feedback.need_pk == need_pk, Feedback.level == level)
    return session.scalar(query.where(Feedback.target_id == target_id).order_by(Feedback.pk.desc()).limit(1))


def feedback_for(session: Session, *, need_id: str) -> list[Feedback]:
    need = get_need(session, need_id=need_id)
    return list(session.scalars(select(Feedback).where(Feedback.need_pk == need.pk).order_by(Feedback.pk)))


def latest_stages(session: Session, *, need_id: str) -> dict[tuple[str, str], str]:
    """(level, target id) → the latest stage recorded for this need."""
    return {(f.level, f.target_id): f.stage for f in feedback_for(session, need_id=need_id)}


def rejected_for(session: Session, *, need_id: str, level: str) -> dict[str, str]:
    """Target id → the reason, for this need's targets at `level` whose latest decision is 不合适."""
    need = session.scalar(select(Need.pk).where(Need.id == need_id))
    rows = session.execute(
        select(Feedback.target_id, Feedback.stage, Feedback.reason)
        .where(Feedback.need_pk == need, Feedback.level == level)
        .order_by(Feedback.pk)
    )
    latest = {target: (stage, reason) for target, stage, reason in rows}
    return {target: reason or "" for target, (stage, reason) in latest.items() if stage == "rejected"}


def track_record(session: Session) -> dict[int, int]:
    """Expert pk → number of pairings staff moved to meeting or beyond (the accepted stages)."""
    rows = session.execute(
        select(Expert.pk, func.count(Feedback.pk))
        .join(Expert, Feedback.target_id == Expert.id)
        .where(Feedback.level == EXPERT.name, Feedback.stage.in_(ACCEPTED))
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


def feedback_qrels(session: Session, *, level: str = "outcome") -> dict[str, dict[str, int]]:
    """Staff feedback at one level as qrels (the latest decision on a pair wins; `proposed` teaches nothing)."""
    qrels: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Need.id, Feedback.target_id, Feedback.stage)
        .join(Need, Feedback.need_pk == Need.pk)
        .where(Feedback.level == level)
        .order_by(Feedback.created_at, Feedback.pk)
    )
    for need_id, target, stage in rows:
        taught = gain(stage)
        if taught is not None:
            qrels.setdefault(need_id, {})[target] = taught
    return qrels

"""Feedback on proposed pairings, through their stages; it becomes ranker training data."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import SessionDep, Staff, Viewer, audited
from api.schemas.feedback import FeedbackCreate, FeedbackPublic
from matcher.services import feedback as svc
from matcher.services.judgements import target_names
from matcher.store.stages import label
from matcher.store.tables import Feedback

router = APIRouter(prefix="/needs/{need_id}/feedback", tags=["feedback"])


def _public(row: Feedback, need_id: str, names: dict[tuple[str, str], str]) -> FeedbackPublic:
    return FeedbackPublic(
        id=row.pk,
        need_id=need_id,
        level=row.level,
        target_id=row.target_id,
        target_name=names.get((row.level, row.target_id)),
        stage=row.stage,
        stage_zh=label(row.stage),
        reason=row.reason,
        correction=row.correction,
        created_by=row.created_by,
        created_at=row.created_at,
    )


@router.post("", response_model=FeedbackPublic, status_code=status.HTTP_201_CREATED, summary="Record a decision")
def record(need_id: str, body: FeedbackCreate, session: SessionDep, caller: Staff) -> FeedbackPublic:
    row = svc.record_feedback(
        session,
        need_id=need_id,
        level=body.level,
        target_id=body.target_id,
        stage=body.stage,
        reason=body.reason,
        actor=caller.name,
        correction=body.correction,
    )
    audited(session, caller, "feedback", f"needs/{need_id}/{body.level}/{body.target_id}", stage=body.stage)
    return _public(row, need_id, target_names(session, [(row.level, row.target_id)]))


@router.get("", response_model=list[FeedbackPublic], summary="The history of decisions on a need")
def history(need_id: str, session: SessionDep, caller: Viewer) -> list[FeedbackPublic]:
    rows = svc.feedback_for(session, need_id=need_id)
    names = target_names(session, [(r.level, r.target_id) for r in rows])
    return [_public(row, need_id, names) for row in rows]

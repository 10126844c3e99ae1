"""The model history (admins): the versions of the outcome ranker and its 匹配度 maps, every retrain or rollback
attempt, and rolling back to an earlier version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import Admin, ContextDep, audited, write_later
from api.schemas.models import AttemptPublic, ModelHistoryPublic, ModelVersionPublic, RollbackCreate, RollbackPublic
from matcher.artifacts import history

router = APIRouter(prefix="/models", tags=["models"])
ATTEMPT_KEYS = {"at", "action", "actor", "kept", "status", "reason", "version"}


def _attempt(row: dict[str, Any]) -> AttemptPublic:
    figures = {k: v for k, v in row.items() if k not in ATTEMPT_KEYS}
    return AttemptPublic(**{k: v for k, v in row.items() if k in ATTEMPT_KEYS and v is not None}, figures=figures)


@router.get("/history", response_model=ModelHistoryPublic, summary="Model versions and every retrain or rollback")
def model_history(matcher: ContextDep, caller: Admin) -> ModelHistoryPublic:
    models = matcher.settings.workspace().models_dir
    current = history.served(models)
    served = current.id if current else None
    keys = ("created_at", "source", "judgements", "needs", "cv", "served_before", "parent")
    versions = [
        ModelVersionPublic(id=v["id"], served=v["id"] == served, **{k: v.get(k) for k in keys})
        for v in history.versions(models)
    ]
    return ModelHistoryPublic(
        served=served,
        fell_back_from=current.fell_back_from if current else None,
        versions=versions,
        attempts=[_attempt(a) for a in reversed(history.attempts(models))],
    )


@router.post("/rollback", response_model=RollbackPublic, summary="Serve an earlier model version again (admins)")
async def rollback(body: RollbackCreate, matcher: ContextDep, caller: Admin, request: Request) -> RollbackPublic:
    models = matcher.settings.workspace().models_dir
    served = history.rollback(models, body.version, actor=caller.name)

    def record() -> None:
        with matcher.session(write=True) as session:
            audited(session, caller, "rollback", f"models/{served}", version=served)

    await write_later(request, matcher, record)
    made = next((v.get("created_at") for v in history.versions(models) if v["id"] == served), None)
    when = f" {str(made)[:16].replace('T', ' ')} 生成的" if made else "选定的"
    return RollbackPublic(served=served, message=f"已回退到{when}模型版本（排序模型与匹配度校准一起）")

"""The 标注 view: pairs worth judging, judgements (grades 0–3 or skips), their export as TREC qrels, and
retraining the ranker from them."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse

from api.deps import Admin, ContextDep, RegionLimiterDep, SessionDep, Staff, Viewer, audited, write_later
from api.schemas.judgements import JudgementCreate, JudgementPublic, JudgementSummary, PairPublic, RetrainPublic
from matcher.errors import MatcherError
from matcher.label.pool import propose
from matcher.learn.retrain import retrain
from matcher.levels import OUTCOME
from matcher.match import forward
from matcher.records import KIND_ZH
from matcher.services import judgements as svc
from matcher.store.stages import GRADES
from matcher.store.tables import Judgement
from matcher.workspace import publish
from matcher.workspace.context import Context

router = APIRouter(prefix="/judgements", tags=["judgements"])
NAME = "ranker from judgements"


def _public(row: Judgement, need_id: str, name: str | None) -> JudgementPublic:
    return JudgementPublic(
        need_id=need_id,
        level=row.level,
        target_id=row.target_id,
        target_name=name,
        grade=row.grade,
        grade_zh=GRADES[row.grade] if row.grade is not None else "跳过",
        source=row.source,
        created_by=row.created_by,
        created_at=row.created_at,
    )


@router.get("/next", response_model=list[PairPublic], summary="Pairs worth judging next")
async def next_pairs(
    matcher: ContextDep,
    caller: Staff,
    limiter: RegionLimiterDep,
    count: Annotated[int, Query(ge=1, le=50)] = 10,
    seed: Annotated[int, Query(ge=0)] = 0,
) -> list[PairPublic]:
    strategy = matcher.settings.label_selection
    found = await to_thread.run_sync(
        lambda: propose(matcher, count=count, strategy=strategy, seed=seed), limiter=limiter
    )
    return [PairPublic(**vars(p), kind_zh=KIND_ZH.get(p.kind, p.kind)) for p in found]


@router.post("", response_model=JudgementPublic, status_code=status.HTTP_201_CREATED, summary="Judge (or skip) a pair")
def judge(body: JudgementCreate, session: SessionDep, caller: Staff) -> JudgementPublic:
    row = svc.record_judgement(session, need_id=body.need_id, level=body.level, target_id=body.target_id,
                               grade=body.grade, actor=caller.name)  # fmt: skip
    audited(session, caller, "judgement", f"needs/{body.need_id}/{body.level}/{body.target_id}", grade=body.grade)
    names = svc.target_names(session, [(body.level, body.target_id)])
    return _public(row, body.need_id, names.get((body.level, body.target_id)))


@router.get("", response_model=list[JudgementPublic], summary="A need's judgements")
def of_need(need_id: Annotated[str, Query(min_length=1)], session: SessionDep, caller: Viewer) -> list[JudgementPublic]:
    rows = svc.need_judgements(session, need_id=need_id)
    names = svc.target_names(session, [(r.level, r.target_id) for r in rows])
    return [_public(row, need_id, names.get((row.level, row.target_id))) for row in rows]


@router.get("/summary", response_model=JudgementSummary, summary="How many judgements, and what they bought")
def summary(matcher: ContextDep, session: SessionDep, caller: Viewer) -> JudgementSummary:
    return JudgementSummary(**svc.judgement_counts(session), model=_model_words(matcher))


@router.get("/export", response_class=PlainTextResponse, summary="Every graded judgement as TREC qrels")
def export(session: SessionDep, caller: Staff, level: str = "outcome") -> PlainTextResponse:
    text = "\n".join(svc.qrels_lines(svc.judgement_qrels(session, level=level)))
    headers = {"Content-Disposition": 'attachment; filename="judgements.qrels"'}
    return PlainTextResponse(text + "\n" if text else "", headers=headers)


@router.post("/retrain", response_model=RetrainPublic, summary="Retrain the ranker from the judgements (admins)")
async def retrain_ranker(
    matcher: ContextDep, caller: Admin, request: Request, limiter: RegionLimiterDep
) -> RetrainPublic:
    """One transaction: the new ranker and 匹配度 maps are served together only when they pass every check; a
    retrain or rollback already running is a 409. Every attempt is audited, kept or not."""

    def record(**detail: object) -> None:
        with matcher.session(write=True) as session:
            audited(session, caller, "retrain", "models", **detail)

    try:
        result = await to_thread.run_sync(lambda: retrain(matcher, name=NAME, actor=caller.name), limiter=limiter)
    except MatcherError as exc:
        reason = str(exc)
        await write_later(request, matcher, lambda: record(kept=False, status="failed", reason=reason))
        raise
    await write_later(request, matcher, lambda: record(**result.detail()))
    if result.kept and matcher.settings.snapshot_store:  # several hosts: the others take the new model from the store
        await to_thread.run_sync(publish.publish, matcher)
    return RetrainPublic(kept=result.kept, status=result.status, judgements=result.judgements, needs=result.needs,
                         new=result.new, served=result.served, version=result.version,
                         message=result.sentence())  # fmt: skip


def _model_words(matcher: Context) -> str | None:
    ranker, _ = forward.served_ranker(matcher, OUTCOME)
    if ranker is None:
        return None
    training, cv = ranker.params.get("training", {}), ranker.params.get("cv", {})
    figure = cv.get("best", {}).get("mean")
    pairs = training.get("pairs")
    said = f"排序模型基于 {pairs} 个评判对训练" if pairs else "排序模型"
    return said + (f"，交叉验证排序得分为 {figure:.3f}" if figure is not None else "")

"""The 对接台账: engagements (a need paired with an expert, institution or outcome, kept by an owner, with the next
action and its due date) and the contracts signed on them.

One model, not two: an engagement's stage history is its pair's feedback (`services.feedback`), so a decision
recorded on the match list moves the engagement, and a stage moved here is a feedback row the ranker learns from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import ConflictError, InputError, NotFoundError
from matcher.records import LEVEL_ZH
from matcher.services.feedback import TARGETS, engagement_of, record_feedback
from matcher.services.judgements import target_names
from matcher.services.needs import get_need
from matcher.store.stages import label
from matcher.store.tables import Contract, Engagement, Feedback, Match, MatchRun, Need, PlanRecord

log = logging.getLogger(__name__)
CONTRACT_TYPES = ("技术开发", "技术转让", "技术许可", "技术咨询", "技术服务")
SOURCES = {"match": "匹配结果", "plan": "走访/对接会计划", "batch": "批量推荐", "manual": "手工登记",
           "import": "台账导入", "feedback": "对接进展"}  # fmt: skip
EDITABLE = ("owner", "next_action", "due_date", "notes")


def open_engagement(
    session: Session,
    *,
    need_id: str,
    level: str,
    target_id: str,
    actor: str,
    owner: str | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    next_action: str | None = None,
    due_date: date | None = None,
    notes: str = "",
    on: date | None = None,
) -> Engagement:
    """Open the engagement of a pair (from a match, a plan, a batch proposal, or by hand). A pair already in the
    ledger is refused; a pair that only had feedback so far is taken over (its history kept). A pair with no
    history starts at 推荐 (`on` that day, when not today)."""
    if source not in SOURCES:
        raise InputError(f"来源须为：{'、'.join(SOURCES)}")
    need = get_need(session, need_id=need_id)
    _check_target(session, level, target_id)
    _check_source(session, source, source_ref, need, level, target_id)
    existing = _pair(session, need.pk, level, target_id)
    if existing is not None and existing.source != "feedback":
        raise ConflictError(f"该配对已在对接台账中（记录 {existing.pk}）")
    if existing is None:
        record_feedback(session, need_id=need_id, level=level, target_id=target_id, stage="proposed", reason=None,
                        actor=actor, closed_ok=True, on=on)  # fmt: skip
    row = engagement_of(session, need_pk=need.pk, level=level, target_id=target_id, actor=actor)
    row.owner, row.next_action, row.due_date, row.notes = owner or actor, next_action, due_date, notes or ""
    row.source, row.source_ref, row.created_by = source, source_ref, actor
    session.flush()
    return row


def _pair(session: Session, need_pk: int, level: str, target_id: str) -> Engagement | None:
    query = select(Engagement).where(Engagement.need_pk == need_pk, Engagement.level == level)
    return session.scalar(query.where(Engagement.target_id == target_id))


def _check_target(session: Session, level: str, target_id: str) -> None:
    if level not in TARGETS:
        raise InputError(f"对接对象类型须为：{'、'.join(TARGETS)}")
    table = TARGETS[level]
    if session.scalar(select(table.pk).where(table.id == target_id)) is None:
        raise NotFoundError(f"找不到{LEVEL_ZH.get(level, level)}（编号 {target_id}）")


def _check_source(session: Session, source: str, ref: str | None, need: Need, level: str, target: str) -> None:
    """A plan or batch source must name a stored plan, or a batch run that proposed this very pair."""
    if source == "plan" and (not ref or session.scalar(select(PlanRecord.pk).where(PlanRecord.id == ref)) is None):
        raise NotFoundError(f"找不到计划（编号 {ref or '未填'}）")
    if source == "batch":
        run = session.scalar(select(MatchRun.pk).where(MatchRun.id == (ref or "")))
        if run is None:
            raise NotFoundError(f"找不到批量推荐（编号 {ref or '未填'}）")
        proposed = select(Match.pk).where(Match.run_pk == run, Match.need_pk == need.pk, Match.level == level)
        if session.scalar(proposed.where(Match.target_id == target).limit(1)) is None:
            raise ConflictError("该批量推荐中没有这一配对")


def get_engagement(session: Session, *, engagement_id: int) -> Engagement:
    row = session.get(Engagement, engagement_id)
    if row is None:
        raise NotFoundError(f"找不到对接记录（编号 {engagement_id}）")
    return row


def update_engagement(session: Session, *, engagement_id: int, changes: dict[str, Any]) -> Engagement:
    """Change the owner, next action, due date or notes (the stage moves through `move`)."""
    row = get_engagement(session, engagement_id=engagement_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InputError(f"不能修改：{'、'.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(row, name, "" if name == "notes" and value is None else value)
    session.flush()
    return row


def move(
    session: Session,
    *,
    engagement_id: int,
    stage: str,
    actor: str,
    reason: str | None = None,
    correction: bool = False,
    on: date | None = None,
) -> Feedback:
    """Move the engagement to `stage` (a feedback row: the same rules, the same training data)."""
    row = get_engagement(session, engagement_id=engagement_id)
    need = session.get(Need, row.need_pk)
    assert need is not None  # the engagement's foreign key
    return record_feedback(session, need_id=need.id, level=row.level, target_id=row.target_id, stage=stage,
                           reason=reason, actor=actor, correction=correction, on=on, closed_ok=True)  # fmt: skip


def history(session: Session, *, engagement: Engagement) -> list[Feedback]:
    """The engagement's stages, oldest first."""
    query = select(Feedback).where(Feedback.need_pk == engagement.need_pk, Feedback.level == engagement.level)
    return list(session.scalars(query.where(Feedback.target_id == engagement.target_id).order_by(Feedback.pk)))


def stage_day(row: Feedback) -> date:
    """The day a stage was reached: as reported, else the day it was recorded."""
    return row.stage_date or row.created_at.date()


def add_contract(
    session: Session,
    *,
    engagement_id: int,
    type: str,
    actor: str,
    amount_wan: float | None = None,
    signed_on: date | None = None,
    registration_no: str | None = None,
    parties: list[str] | None = None,
) -> Contract:
    """Record a contract on the engagement; an engagement not yet at 已签约 moves there (on the signing day)."""
    if type not in CONTRACT_TYPES:
        raise InputError(f"合同类型须为：{'、'.join(CONTRACT_TYPES)}")
    if amount_wan is not None and amount_wan < 0:
        raise InputError("合同金额不能为负数")
    row = get_engagement(session, engagement_id=engagement_id)
    number = (registration_no or "").strip() or None
    if number and session.scalar(select(Contract.pk).where(Contract.registration_no == number)) is not None:
        raise ConflictError(f"合同登记号 {number} 已登记")
    if row.stage != "signed":
        move(session, engagement_id=row.pk, stage="signed", actor=actor, on=signed_on)
    contract = Contract(engagement_pk=row.pk, type=type, amount_wan=amount_wan, signed_on=signed_on,
                        registration_no=number, parties=list(parties or []), created_by=actor)  # fmt: skip
    row.contracts.append(contract)
    session.flush()
    return contract


def list_engagements(
    session: Session,
    *,
    owner: str | None = None,
    stage: str | None = None,
    need_id: str | None = None,
    limit: int = 200,
) -> list[Engagement]:
    query = select(Engagement)
    if owner:
        query = query.where(Engagement.owner == owner)
    if stage:
        query = query.where(Engagement.stage == stage)
    if need_id:
        query = query.where(Engagement.need_pk == get_need(session, need_id=need_id).pk)
    return list(session.scalars(query.order_by(Engagement.updated_at.desc(), Engagement.pk.desc()).limit(limit)))


@dataclass(frozen=True)
class Followup:
    engagement: Engagement
    days: int  # due date − today: negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days < 0


def followups(session: Session, *, today: date, within: int = 7, owner: str | None = None) -> list[Followup]:
    """Engagements whose next action is due within `within` days of `today` or overdue (not those marked 不合适),
    the most overdue first."""
    if within < 0:
        raise InputError("天数不能为负数")
    query = select(Engagement).where(Engagement.due_date.is_not(None), Engagement.stage != "rejected")
    if owner:
        query = query.where(Engagement.owner == owner)
    found = []
    for row in session.scalars(query.order_by(Engagement.due_date, Engagement.pk)):
        assert row.due_date is not None
        days = (row.due_date - today).days
        if days <= within:
            found.append(Followup(row, days))
    return found


def describe(session: Session, rows: list[Engagement]) -> list[dict[str, Any]]:
    """What a staff member reads of each engagement: the need's title and enterprise, the partner's name, the
    stage in Chinese, the contracts."""
    needs = {n.pk: n for n in session.scalars(select(Need).where(Need.pk.in_({r.need_pk for r in rows})))}
    names = target_names(session, [(r.level, r.target_id) for r in rows])
    out = []
    for row in rows:
        need = needs[row.need_pk]
        out.append({
            "id": row.pk, "need_id": need.id, "need_title": need.title, "organization": need.organization,
            "level": row.level, "target_id": row.target_id, "target_name": names.get((row.level, row.target_id)),
            "stage": row.stage, "stage_zh": label(row.stage), "owner": row.owner, "next_action": row.next_action,
            "due_date": row.due_date, "notes": row.notes, "source": row.source, "source_ref": row.source_ref,
            "created_at": row.created_at, "updated_at": row.updated_at,
            "contracts": [contract_dict(c) for c in row.contracts],
        })  # fmt: skip
    return out


def contract_dict(row: Contract) -> dict[str, Any]:
    return {"id": row.pk, "type": row.type, "amount_wan": row.amount_wan, "signed_on": row.signed_on,
            "registration_no": row.registration_no, "parties": list(row.parties or [])}  # fmt: skip

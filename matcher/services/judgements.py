"""Staff judgements of (need, target) pairs: recorded from the 标注 view or imported from TREC qrels, exported as
qrels, and read together with feedback (`stages.py` says what each stage counts as) as the workspace's training
judgements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from matcher.errors import InputError, NotFoundError
from matcher.levels import level_of
from matcher.records import LEVEL_ZH
from matcher.services.feedback import TARGETS, feedback_qrels
from matcher.services.needs import get_need
from matcher.store.stages import GRADES
from matcher.store.tables import Engagement, Judgement, Need, utcnow

Judged = dict[str, dict[str, int]]  # need id → target id → grade (`ranking.qrels.Qrels`)


def record_judgement(
    session: Session, *, need_id: str, level: str, target_id: str, grade: int | None, actor: str, source: str = "page"
) -> Judgement:
    """Grade a pair 0–3 (`stages.GRADES`), or skip it (`grade` None); a pair judged again keeps the latest."""
    if level not in TARGETS:
        raise InputError(f"level must be one of {', '.join(TARGETS)}")
    if grade is not None and grade not in GRADES:
        raise InputError("评分须为 0–3（不相关、弱相关、相关、非常相关）")
    need = get_need(session, need_id=need_id)
    table = TARGETS[level]
    if session.scalar(select(table.pk).where(table.id == target_id)) is None:
        raise NotFoundError(f"找不到{LEVEL_ZH.get(level, level)}（编号 {target_id}）")
    values = {"need_pk": need.pk, "level": level, "target_id": target_id, "grade": grade, "created_by": actor,
              "source": source, "created_at": utcnow()}  # fmt: skip
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Judgement).values(**values)
    session.execute(  # one statement: concurrent graders of a new pair update it, none breaks the unique key
        statement.on_conflict_do_update(
            index_elements=["need_pk", "level", "target_id"],
            set_={k: statement.excluded[k] for k in ("grade", "created_by", "source", "created_at")},
        )
    )
    where = (Judgement.need_pk == need.pk, Judgement.level == level, Judgement.target_id == target_id)
    row = session.scalars(select(Judgement).where(*where).execution_options(populate_existing=True)).one()
    return row


def judgement_qrels(session: Session, *, level: str = "outcome") -> Judged:
    """The graded judgements at `level` (skips left out) as qrels."""
    qrels: Judged = {}
    rows = session.execute(
        select(Need.id, Judgement.target_id, Judgement.grade)
        .join(Need, Judgement.need_pk == Need.pk)
        .where(Judgement.level == level, Judgement.grade.is_not(None))
    )
    for need_id, target, grade in rows:
        if grade is not None:
            qrels.setdefault(need_id, {})[target] = int(grade)
    return qrels


def training_qrels(session: Session, *, level: str = "outcome") -> Judged:
    """Everything the workspace knows at `level`: feedback counted as judgements, a judgement of the same pair
    winning over it."""
    found = feedback_qrels(session, level=level)
    for need, judged in judgement_qrels(session, level=level).items():
        found.setdefault(need, {}).update(judged)
    return found


def decided_pairs(session: Session, *, level: str = "outcome") -> set[tuple[str, str]]:
    """(need id, target id) of every pair judged, skipped or given feedback at `level`: never offered again."""
    judged = session.execute(
        select(Need.id, Judgement.target_id).join(Need, Judgement.need_pk == Need.pk).where(Judgement.level == level)
    )
    found = {(n, t) for n, t in judged}
    found.update((n, t) for n, targets in feedback_qrels(session, level=level).items() for t in targets)
    return found


def need_judgements(session: Session, *, need_id: str) -> list[Judgement]:
    need = get_need(session, need_id=need_id)
    return list(session.scalars(select(Judgement).where(Judgement.need_pk == need.pk).order_by(Judgement.pk)))


def target_names(session: Session, targets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(level, target id) → what a staff member calls it: an outcome's title, an expert's or an institution's
    name (targets deleted since are left out)."""
    wanted: dict[str, set[str]] = {}
    for level, target in targets:
        wanted.setdefault(level, set()).add(target)
    found = {}
    for level, ids in wanted.items():
        table = TARGETS[level]
        label = table.name if level_of(level).votes else table.title
        found.update({(level, i): n for i, n in session.execute(select(table.id, label).where(table.id.in_(ids)))})
    return found


@dataclass(frozen=True)
class Imported:
    added: int
    changed: int
    unknown: int  # pairs whose need or target is not in the workspace
    rejected: list[str] = field(default_factory=list)  # rows refused (a grade outside 0–3), in the staff's words


def import_judgements(session: Session, qrels: Judged, *, level: str, actor: str, source: str) -> Imported:
    """Record every pair of `qrels` whose need and target are stored (the rest are counted); a grade outside 0–3
    rejects its row, never clamped into range."""
    if level not in TARGETS:
        raise InputError(f"level must be one of {', '.join(TARGETS)}")
    before = judgement_qrels(session, level=level)
    added = changed = unknown = 0
    rejected: list[str] = []
    for need_id, judged in qrels.items():
        for target, grade in judged.items():
            if grade not in GRADES:
                rejected.append(f"需求 {need_id} 与 {target} 的评分 {grade} 不在 0–3 之内，该行未导入")
                continue
            try:
                record_judgement(session, need_id=need_id, level=level, target_id=target, grade=grade,
                                 actor=actor, source=source)  # fmt: skip
            except NotFoundError:
                unknown += 1
                continue
            old = before.get(need_id, {}).get(target)
            added, changed = added + (old is None), changed + (old is not None and old != grade)
    return Imported(added, changed, unknown, rejected)


def qrels_lines(qrels: Judged) -> list[str]:
    """TREC qrels lines `NEED 0 TARGET GRADE`, sorted (what `read_qrels` reads back)."""
    return [f"{need} 0 {target} {grade}" for need in sorted(qrels) for target, grade in sorted(qrels[need].items())]


def judgement_counts(session: Session) -> dict[str, Any]:
    """How many pairs are judged (by grade), skipped, and known from feedback."""
    rows = session.execute(select(Judgement.grade, func.count()).group_by(Judgement.grade)).all()
    by_grade = {GRADES[g]: n for g, n in sorted(rows, key=lambda r: -1 if r[0] is None else r[0]) if g is not None}
    return {
        "judged": sum(by_grade.values()),
        "skipped": sum(n for g, n in rows if g is None),
        "by_grade": by_grade,
        "from_feedback": sum(len(t) for t in feedback_qrels(session).values()),
        "from_ledger": ledger_counts(session),
    }


def ledger_counts(session: Session) -> dict[str, int]:
    """Pairs the 对接台账 teaches at every level (its stages counted as judgements: 已签约 grade 3, 不合适 grade 0),
    and how many of them are signed and rejected."""
    stages = dict(session.execute(select(Engagement.stage, func.count()).group_by(Engagement.stage)).all())
    total = sum(len(t) for level in TARGETS for t in feedback_qrels(session, level=level).values())
    return {"total": total, "signed": int(stages.get("signed", 0)), "rejected": int(stages.get("rejected", 0))}

"""Experts merged by imports and possible duplicates: list them, confirm or reject a possible duplicate, undo a
merge (`matcher experts unmerge`, `POST /experts/merges/{pk}/unmerge`). Every step is written down."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from matcher.errors import ConflictError, NotFoundError
from matcher.services.changes import SNAPSHOT, Writer, snapshot
from matcher.store.resolve import InstitutionResolver
from matcher.store.tables import Expert, ExpertMerge, Outcome, OutcomeExpert, PossibleDuplicate, utcnow

KEPT = ("title", "fields", "region", "capacity")  # filled from the other expert where the kept one is empty


def _expert(session: Session, pk: int) -> Expert:
    row = session.get(Expert, pk)
    if row is None:
        raise NotFoundError(f"找不到专家（内部编号 {pk}）")
    return row


def _public(row: Expert) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "institution": row.institution.name if row.institution else None,
        "title": row.title,
        "fields": list(row.fields or []),
    }


def list_duplicates(session: Session, *, status: str = "open", limit: int = 100) -> list[dict[str, Any]]:
    """Possible duplicates (two experts of one name and unit, nothing agreeing), newest first."""
    rows = session.scalars(
        select(PossibleDuplicate)
        .where(PossibleDuplicate.status == status)
        .order_by(PossibleDuplicate.pk.desc())
        .limit(limit)
    )
    return [
        {
            "pk": d.pk,
            "expert": _public(_expert(session, d.expert_pk)),
            "other": _public(_expert(session, d.other_pk)),
            "reason": d.reason,
            "source": d.source,
            "status": d.status,
            "at": d.created_at,
        }
        for d in rows
    ]


def _open_duplicate(session: Session, pk: int) -> PossibleDuplicate:
    found = session.get(PossibleDuplicate, pk)
    if found is None:
        raise NotFoundError(f"找不到疑似重复记录 {pk}")
    if found.status != "open":
        raise ConflictError(f"疑似重复记录 {pk} 已处理（{'已确认' if found.status == 'confirmed' else '已否决'}）")
    return found


def reject_duplicate(session: Session, *, pk: int) -> None:
    """Two people after all: kept apart, and not asked again."""
    _open_duplicate(session, pk).status = "rejected"


def _move_links(session: Session, outcome_pks: list[int], source: Expert, target: Expert) -> None:
    """Links of `outcome_pks` from `source` to `target` (an outcome already linked to `target` keeps one link)."""
    linked = set(session.scalars(select(OutcomeExpert.outcome_pk).where(OutcomeExpert.expert_pk == target.pk)))
    keep = [pk for pk in outcome_pks if pk not in linked]
    session.execute(
        delete(OutcomeExpert).where(
            OutcomeExpert.expert_pk == source.pk, OutcomeExpert.outcome_pk.in_(set(outcome_pks) - set(keep))
        )
    )
    session.execute(
        update(OutcomeExpert)
        .where(OutcomeExpert.expert_pk == source.pk, OutcomeExpert.outcome_pk.in_(keep))
        .values(expert_pk=target.pk)
    )


def confirm_duplicate(session: Session, *, pk: int, actor: str | None = None) -> dict[str, Any]:
    """One person: the later expert is merged into the earlier (its outcomes move, its facts fill what the earlier
    lacks, nothing of the earlier is overwritten); written down as a merge that `unmerge` undoes."""
    dup = _open_duplicate(session, pk)
    kept, other = _expert(session, dup.expert_pk), _expert(session, dup.other_pk)
    outcomes = list(session.scalars(select(OutcomeExpert.outcome_pk).where(OutcomeExpert.expert_pk == other.pk)))
    written = other.institution.name if other.institution else None
    record: dict[str, Any] = {**{n: getattr(other, n) for n in SNAPSHOT}, "institution": written}
    absorbed = {"id": other.id, "record": record, "outcomes": outcomes}
    merge = ExpertMerge(
        expert_pk=kept.pk,
        name=other.name,
        institution=written,
        source=dup.source,
        reason=f"工作人员确认（{actor or '未署名'}）：{dup.reason}",
        direction=f"专家 {other.name}（编号 {other.id}）并入 {kept.name}（编号 {kept.id}）",
        evidence=[dup.reason, f"工作人员 {actor or '未署名'} 确认"],
        snapshot={"before": snapshot(kept), "absorbed": absorbed},
    )
    session.add(merge)
    writer = Writer(source=dup.source, actor=actor)
    fill = {n: getattr(other, n) for n in KEPT if getattr(kept, n) in (None, [], "") and getattr(other, n)}
    fill["contacts"] = {**(other.contacts or {}), **(kept.contacts or {})} or None
    fill["sources"] = list(dict.fromkeys([*(kept.sources or []), *(other.sources or [])]))[-20:]
    writer.apply(session, kept, "experts", fill, new=False)
    _move_links(session, outcomes, other, kept)
    dup.status = "confirmed"
    session.flush()
    session.delete(other)
    session.flush()
    return {"merge": merge.pk, "kept": kept.id, "removed": absorbed["id"]}


def unmerge(session: Session, *, pk: int, actor: str | None = None) -> dict[str, Any]:
    """Undo merge `pk`: the kept expert gets back its values from before, the merged one is an expert again (its
    former id, or a new one) with the outcomes it brought (a fold of outcome authors: the outcomes of that file)."""
    merge = session.get(ExpertMerge, pk)
    if merge is None:
        raise NotFoundError(f"找不到合并记录 {pk}")
    if merge.undone_at is not None:
        raise ConflictError(f"合并记录 {pk} 已于 {merge.undone_at:%Y-%m-%d %H:%M} 撤销")
    kept = _expert(session, merge.expert_pk)
    snap = merge.snapshot or {}
    absorbed = snap.get("absorbed") or {"record": {"name": merge.name, "institution": merge.institution}}
    writer = Writer(source=f"撤销合并 {pk}", actor=actor)
    before = snap.get("before")
    if before:
        writer.apply(session, kept, "experts", {n: before.get(n) for n in SNAPSHOT if n != "sources"}, new=False)
    record = absorbed["record"]
    new_id = absorbed.get("id") or f"{kept.id}-u{pk}"
    if session.scalar(select(Expert.pk).where(Expert.id == new_id)) is not None:
        new_id = f"{kept.id}-u{pk}"
    split = Expert(
        id=new_id,
        name=record.get("name") or merge.name,
        title=record.get("title"),
        fields=list(record.get("fields") or []),
        region=record.get("region"),
        capacity=record.get("capacity"),
        contacts=record.get("contacts"),
        sources=[merge.source],
    )
    split.institution = InstitutionResolver(session).get(record.get("institution") or merge.institution)
    session.add(split)
    session.flush()
    outcomes = absorbed.get("outcomes")
    if outcomes is None:  # authors folded from a file: that file's outcomes
        linked = select(OutcomeExpert.outcome_pk).where(OutcomeExpert.expert_pk == kept.pk)
        rows = session.scalars(select(Outcome).where(Outcome.pk.in_(linked)))
        outcomes = [o.pk for o in rows if merge.source in (o.sources or [])]
    _move_links(session, list(outcomes), kept, split)
    merge.undone_at = utcnow()
    return {"kept": kept.id, "restored": split.id, "outcomes": len(outcomes)}

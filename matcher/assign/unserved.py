"""Why a need of a batch run got fewer proposals than asked for, in words staff can act on."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.assign.score import WEAK
from matcher.assign.solver import Pair
from matcher.match.conflicts import RULES
from matcher.store.tables import Need, RunNeed

REASON_ZH = {"no_strong": "无强匹配", "no_candidates": "无候选", "all_conflicts": "全部回避",
             "few_candidates": "候选不足", "capacity": "名额已满"}  # fmt: skip


def reason(candidates: int, conflicts: dict[str, int], proposed: int) -> tuple[str, str]:
    """(code, 中文说明) for a need with `proposed` proposals out of `candidates` conflict-free candidates at or above
    the weak line (`conflicts` also counts the 弱匹配 hits, under `weak`)."""
    conflicts = dict(conflicts)
    weak = conflicts.pop(WEAK, 0)
    if candidates == 0 and weak and not conflicts:
        return "no_strong", f"无强匹配：{weak} 位候选专家的匹配度均低于弱匹配线，未作推荐"
    if candidates == 0 and not conflicts:
        return "no_candidates", "检索未找到相关专家"
    weaker = f"，另有 {weak} 位低于弱匹配线" if weak else ""
    if candidates == 0:
        parts = "、".join(f"{RULES[rule]} {n} 位" for rule, n in sorted(conflicts.items()))
        return "all_conflicts", f"达到弱匹配线的候选专家全部因回避规则排除（{parts}）{weaker}"
    if candidates <= proposed:
        return "few_candidates", f"无冲突且达到弱匹配线的候选专家仅 {candidates} 位{weaker}"
    return "capacity", f"其余 {candidates - proposed} 位候选专家已达推荐上限（专家或单位容量、同单位人数限制）"


def unserved(session: Session, run_pk: int, chosen: list[Pair], per_need: int) -> list[dict[str, Any]]:
    """Needs with fewer than `per_need` proposals, each with a reason code and a Chinese explanation."""
    proposed = Counter(p.need for p in chosen)
    rows = session.execute(
        select(RunNeed.need_pk, Need.id, RunNeed.candidates, RunNeed.conflicts)
        .join(Need, Need.pk == RunNeed.need_pk)
        .where(RunNeed.run_pk == run_pk)
        .order_by(RunNeed.need_pk)
    )
    found = []
    for need_pk, need_id, candidates, conflicts in rows:
        if proposed[need_pk] < per_need:
            code, text = reason(candidates, conflicts or {}, proposed[need_pk])
            found.append({"need_id": need_id, "proposed": proposed[need_pk], "reason": code, "detail": text})
    return found

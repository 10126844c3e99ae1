"""统计报表: what the matchmaking achieved in a period, as the science bureau reads it.

Needs are counted once, in the period they first reached a stage: `collected` entered the workspace, `matched` got
their first proposal (a stored match or batch proposal, or an engagement), `contacted` / `met` / `intention` /
`signed` had an engagement reach 已联系 / 已对接 / 合作意向 / 已签约 (or a later stage: a stage skipped counts as
passed), `rejected` had every engagement end 不合适 (dated by the last). Contracts count by their signing day. The
funnel counts engagements reaching each stage in the period, with the median days from the stage recorded before.
An owner or institution in scope narrows the engagements counted; `collected` always counts the region's and
field's needs.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from matcher.errors import InputError
from matcher.report.ledger import Pair, Scope, contract_day, first_proposals, load_pairs, scoped_needs
from matcher.store.stages import ORDER, label
from matcher.store.tables import Need

COUNTS = ("collected", "matched", "contacted", "met", "intention", "signed", "rejected")
COUNT_ZH = {
    "collected": "征集需求",
    "matched": "已匹配",
    "contacted": "已联系",
    "met": "已对接",
    "intention": "合作意向",
    "signed": "已签约",
    "rejected": "不合适",
    "contracts": "合同数",
    "contract_amount_wan": "合同金额（万元）",
}
STAGE_OF = {"contacted": "contacted", "met": "meeting", "intention": "intention", "signed": "signed"}
TOP = 10
Days = dict[str, dict[int, date]]  # count name → need pk → the day the need first counted so


def _first(days: Iterable[date | None]) -> date | None:
    found = [d for d in days if d is not None]
    return min(found) if found else None


def _need_days(needs: dict[int, Need], pairs: list[Pair], proposed: dict[int, date]) -> Days:
    """Count name → need pk → the day that need first counted so."""
    by_need: dict[int, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_need[pair.need_pk].append(pair)
    days: Days = {name: {} for name in COUNTS}
    for pk, need in needs.items():
        own = by_need.get(pk, [])
        found = {
            "collected": need.created_at.date(),
            "matched": _first([proposed.get(pk), *(p.reached("proposed") for p in own)]),
            **{name: _first(p.reached(stage) for p in own) for name, stage in STAGE_OF.items()},
            "rejected": max(p.rejected_on for p in own if p.rejected_on) if own and all(
                p.stage == "rejected" and p.rejected_on for p in own) else None,
        }  # fmt: skip
        for name, day in found.items():
            if day is not None:
                days[name][pk] = day
    return days


def _counts(scope: Scope, days: Days, pairs: list[Pair], keep: Callable[[int], bool]) -> dict[str, Any]:
    counts: dict[str, Any] = {name: sum(1 for pk, d in days[name].items() if keep(pk) and scope.holds(d))
                              for name in COUNTS}  # fmt: skip
    signed = [c for p in pairs if keep(p.need_pk) for c in p.contracts if scope.holds(contract_day(c))]
    counts["contracts"] = len(signed)
    counts["contract_amount_wan"] = round(sum(c.amount_wan or 0.0 for c in signed), 2)
    return counts


def _funnel(scope: Scope, pairs: list[Pair]) -> list[dict[str, Any]]:
    rows = []
    for i, stage in enumerate(ORDER):
        reaching = [p for p in pairs if scope.holds(p.reached(stage))]
        waits = []
        for p in reaching:
            before = next((p.explicit[s] for s in reversed(ORDER[:i]) if s in p.explicit), None)
            if stage in p.explicit and before is not None:
                waits.append((p.explicit[stage] - before).days)
        median = float(statistics.median(waits)) if waits else None
        rows.append({"stage": stage, "stage_zh": label(stage), "count": len(reaching), "median_days": median,
                     "timed": len(waits)})  # fmt: skip
    return rows


def _top(scope: Scope, pairs: list[Pair], key: Callable[[Pair], tuple[str, str] | None]) -> list[dict[str, Any]]:
    """Partners by contracts signed in the period (then by amount)."""
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    for pair in pairs:
        who = key(pair)
        for c in pair.contracts:
            if who and scope.holds(contract_day(c)):
                found[who].append(c.amount_wan or 0.0)
    ranked = sorted(found.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]), kv[0][1]))
    return [{"id": who[0], "name": who[1], "contracts": len(amounts), "amount_wan": round(sum(amounts), 2)}
            for who, amounts in ranked[:TOP]]  # fmt: skip


def _by_type(scope: Scope, pairs: list[Pair]) -> dict[str, dict[str, float | int]]:
    found: dict[str, dict[str, float | int]] = {}
    for c in (c for p in pairs for c in p.contracts if scope.holds(contract_day(c))):
        entry = found.setdefault(c.type, {"count": 0, "amount_wan": 0.0})
        entry["count"] = int(entry["count"]) + 1
        entry["amount_wan"] = round(float(entry["amount_wan"]) + (c.amount_wan or 0.0), 2)
    return found


def _grouped(
    scope: Scope, needs: dict[int, Need], days: Days, pairs: list[Pair], attribute: str
) -> list[dict[str, Any]]:
    """The counts per region or field of the needs (a need with none under 未填)."""
    group = {pk: getattr(n, attribute) or "" for pk, n in needs.items()}
    rows = []
    for value in sorted(set(group.values())):
        counts = _counts(scope, days, pairs, lambda pk, v=value: group[pk] == v)  # type: ignore[misc]
        if any(counts.values()):
            rows.append({attribute: value or "未填", **counts})
    return rows


def _by_owner(scope: Scope, needs: dict[int, Need], pairs: list[Pair]) -> list[dict[str, Any]]:
    rows = []
    for owner in sorted({p.owner or "" for p in pairs}):
        own = [p for p in pairs if (p.owner or "") == owner]
        days = _need_days(needs, own, {})
        counts = _counts(scope, days, own, lambda pk: True)
        counts.pop("collected")
        if any(counts.values()):
            rows.append({"owner": owner or "未指定", **counts})
    return rows


def progress_report(session: Session, *, scope: Scope) -> dict[str, Any]:
    """The report of `scope` as plain data (what the JSON, the workbook and the printable page show)."""
    notes = []
    if scope.end < scope.start:  # typed the other way round: the period meant is plain
        notes.append(f"结束日期 {scope.end} 早于开始日期 {scope.start}，已按 {scope.end} 至 {scope.start} 统计")
        scope = replace(scope, start=scope.end, end=scope.start)
    needs = scoped_needs(session, scope)
    pairs = load_pairs(session, scope, needs)
    proposed = {} if scope.narrowed else first_proposals(session, set(needs))
    days = _need_days(needs, pairs, proposed)
    report: dict[str, Any] = {
        "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
        "scope": {k: v for k, v in asdict(scope).items() if k not in ("start", "end")},
        **_counts(scope, days, pairs, lambda pk: True),
        "contracts_by_type": _by_type(scope, pairs),
        "funnel": _funnel(scope, pairs),
        "top_institutions": _top(scope, pairs, lambda p: (p.institution, p.institution) if p.institution else None),
        "top_experts": _top(scope, pairs, lambda p: p.expert),
        "by_region": _grouped(scope, needs, days, pairs, "region"),
        "by_field": _grouped(scope, needs, days, pairs, "field"),
        "by_owner": _by_owner(scope, needs, pairs),
        "notes": notes,
    }
    return report


def parse_day(text: str, what: str) -> date:
    """A YYYY-MM-DD day from the command line or a query, or an InputError naming it."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{what}须为 YYYY-MM-DD 格式的日期，收到 {text!r}") from exc

"""A run's proposals as rows staff work from: CSV (UTF-8 with BOM, opens in Excel) or XLSX (filters, frozen header,
a sheet of needs that could not be fully served, and a sheet with the run's parameters)."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased

from matcher.assign.runs import STATUS_ZH, get_run
from matcher.assign.unserved import REASON_ZH
from matcher.errors import InputError
from matcher.export.sheets import book_bytes, csv_bytes, table
from matcher.store.tables import Expert, Institution, Match, MatchRun, Need

FORMATS = ("csv", "xlsx")
PARAMS_ZH = {"needs": "参与需求", "per_need": "每条需求推荐专家数", "alternates": "每条需求备选数",
             "expert_capacity": "每位专家最多推荐次数", "institution_capacity": "每家单位最多推荐次数",
             "max_per_institution": "同一需求同单位最多人数", "region_bonus": "同地区加分",
             "candidates": "每条需求评估的候选专家数"}  # fmt: skip
NEEDS_ZH = {"open": "全部进行中需求"}  # the `needs` parameter's words; a list of ids is shown as it is
ROLES = {"proposal": "推荐", "alternate": "备选", "left_out": "未推荐"}
ORDER = {role: i for i, role in enumerate(ROLES)}
COLUMNS = [
    ("need_id", "需求编号", 14),
    ("need", "需求", 40),
    ("organization", "企业", 24),
    ("need_region", "需求地区", 9),
    ("role", "类型", 6),
    ("rank", "序号", 6),
    ("expert", "推荐专家", 10),
    ("expert_id", "专家编号", 14),
    ("title", "职称", 12),
    ("institution", "所属单位", 24),
    ("expert_region", "专家地区", 9),
    ("same_region", "同地区", 7),
    ("score", "匹配度", 8),
    ("evidence", "依据", 60),
    ("terms", "匹配关键词", 24),
    ("reason", "未推荐原因", 40),
]


def proposals(session: Session, run: MatchRun, *, need_id: str | None = None) -> list[dict[str, Any]]:
    """One dict per proposal or alternate, need by need, in rank order."""
    inst = aliased(Institution)
    query = (
        select(Match, Need, Expert, inst.name)
        .join(Need, Need.pk == Match.need_pk)
        .outerjoin(Expert, Expert.id == Match.target_id)
        .outerjoin(inst, inst.pk == Expert.institution_pk)
        .where(Match.run_pk == run.pk)
        .order_by(Need.pk, case(ORDER, value=Match.role, else_=len(ORDER)), Match.rank)
    )
    if need_id is not None:
        query = query.where(Need.id == need_id)
    return [_row(m, n, e, name) for m, n, e, name in session.execute(query)]


def _row(match: Match, need: Need, expert: Expert | None, institution: str | None) -> dict[str, Any]:
    """A proposal as the run recorded it (`evidence.who`); runs written before that record read today's rows."""
    ev = match.evidence or {}
    now = {"name": expert.name if expert else "", "title": expert.title if expert else None,
           "institution": institution, "region": expert.region if expert else None}  # fmt: skip
    who = ev.get("who") or now
    return {
        "need_id": need.id,
        "need": need.title,
        "organization": need.organization or "",
        "need_region": need.region or "",
        "role": match.role,
        "rank": match.rank,
        "expert": who["name"],
        "expert_id": match.target_id,
        "title": who["title"] or "",
        "institution": who["institution"] or "",
        "expert_region": who["region"] or "",
        "same_region": bool(ev.get("same_region")),
        "score": round(match.score, 1),
        "evidence": "；".join(f"《{o['title']}》" for o in ev.get("outcomes", [])),
        "terms": "、".join(ev.get("terms", [])),
        "reason": ev.get("reason", ""),
    }


def _cells(row: dict[str, Any]) -> list[Any]:
    shown = {**row, "role": ROLES.get(row["role"], row["role"]), "same_region": "是" if row["same_region"] else ""}
    return [shown[key] for key, _, _ in COLUMNS]


def render(session: Session, *, run_id: str, fmt: str) -> bytes:
    """The export file's bytes."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}")
    run = get_run(session, run_id=run_id)
    if run.status != "done":
        raise InputError(f"批量推荐 {run_id} {STATUS_ZH.get(run.status, run.status)}：只有已完成的批次可以导出")
    rows = proposals(session, run)
    return _csv(rows) if fmt == "csv" else _xlsx(run, rows)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    return csv_bytes([header for _, header, _ in COLUMNS], [_cells(row) for row in rows])


def _xlsx(run: MatchRun, rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "推荐清单"
    table(sheet, [header for _, header, _ in COLUMNS], [_cells(r) for r in rows], [w for _, _, w in COLUMNS])
    unserved = run.stats.get("unserved", [])
    table(
        book.create_sheet("未满足需求"),
        ["需求编号", "已推荐", "原因", "说明"],
        [[u["need_id"], u["proposed"], REASON_ZH.get(u["reason"], u["reason"]), u["detail"]] for u in unserved],
        [16, 8, 16, 60],
    )
    status = STATUS_ZH.get(run.status, run.status)
    about = [["批次", run.id], ["状态", status], ["完成时间（UTC）", str(run.finished_at or "")[:19]]]
    about += [[PARAMS_ZH[k], _param(k, v)] for k, v in run.params.items() if k in PARAMS_ZH and v is not None]
    table(book.create_sheet("批次说明"), ["项目", "内容"], about, [22, 80])
    return book_bytes(book)


def _param(key: str, value: Any) -> Any:
    """A run parameter as staff read it: words for the needs chosen, 是/否 for a switch, lists joined."""
    if key == "needs" and isinstance(value, str):
        return NEEDS_ZH.get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(x) for x in value)
    return value

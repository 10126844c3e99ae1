"""`matcher import engagements FILE`: the 对接台账 staff kept in Excel, row by row into engagements.

The file goes through the machinery of every import (`importer.open_table`: the reader, header detection, the
column map of `columns.py` with `--map` overrides) and rejected rows go to the rejects file with line and reason.
Each row names a need by title (found, with its enterprise when given, or created), a partner by name — an expert
(with the institution to tell namesakes apart), else an institution, else an outcome by title — resolved as imports
resolve names (aliases, sub-units; new names become new rows), its stage with the day it was reached, and maybe a
contract. Each row is its own transaction, and a row already recorded changes nothing: a re-run is safe.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import MAX_SHEET_BYTES
from matcher.errors import ConflictError, InputError, NotFoundError
from matcher.ingest.columns import ColumnMap, fields_of
from matcher.ingest.importer import ImportReport, Preview, _Rejects, open_table
from matcher.ingest.shape import derived_id, region_name
from matcher.ingest.table import RowError
from matcher.services import engagements as svc
from matcher.services.feedback import record_feedback
from matcher.store.db import transaction
from matcher.store.resolve import InstitutionResolver, expert_id, written_expert_id
from matcher.store.stages import STAGES, is_forward, label
from matcher.store.tables import Engagement, Expert, Need, Outcome
from matcher.text.normalize import clean, institution_key

log = logging.getLogger(__name__)
KIND = "engagements"
STAGE_WORDS = {  # what staff write in 当前阶段 → stage (the labels and names themselves count too)
    "已推荐": "proposed", "待联系": "proposed", "联系中": "contacted", "已沟通": "contacted", "对接中": "meeting",
    "已洽谈": "meeting", "洽谈中": "meeting", "已见面": "meeting", "有意向": "intention", "意向": "intention",
    "签约": "signed", "已签订": "signed", "已签合同": "signed", "签订合同": "signed", "终止": "rejected",
    "放弃": "rejected", "未成功": "rejected", "不匹配": "rejected",
}  # fmt: skip
CONTRACT_WORDS = {"开发": "技术开发", "转让": "技术转让", "许可": "技术许可", "咨询": "技术咨询", "服务": "技术服务"}
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
EXCEL_EPOCH = date(1899, 12, 30)


class RowRefused(Exception):
    """A row the ledger import rejects (its reason, in Chinese, goes to the rejects file)."""


@dataclass
class LedgerReport(ImportReport):
    needs_created: int = 0
    partners_created: int = 0
    contracts: int = 0
    unchanged: int = 0  # rows already recorded as they are
    created_names: list[str] = field(default_factory=list)


def day_of(value: Any, what: str) -> date | None:
    """A day as staff write it: a date cell, 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, an Excel serial."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20_000 < value < 80_000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    found = _DAY.match(clean(str(value)))
    if found:
        try:
            return date(*(int(g) for g in found.groups()))
        except ValueError:
            pass
    raise RowRefused(f"{what}无法识别为日期：{value}")


def stage_of(value: Any, has_contract: bool) -> str:
    text = clean(str(value or "")).strip()
    if not text:
        return "signed" if has_contract else "proposed"
    words = {s.label: name for name, s in STAGES.items()} | {name: name for name in STAGES} | STAGE_WORDS
    if text in words:
        return words[text]
    raise RowRefused(f"当前阶段无法识别：{text}（可填：{'、'.join(s.label for s in STAGES.values())}）")


def contract_type(value: Any) -> str:
    text = clean(str(value or ""))
    found = next((kind for word, kind in CONTRACT_WORDS.items() if word in text), None)
    if found is None:
        raise RowRefused(f"合同类型无法识别：{text or '未填'}（可填：{'、'.join(svc.CONTRACT_TYPES)}）")
    return found


def amount_of(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(str(value).replace(",", "").replace("万元", "").replace("万", "").strip())
    except ValueError:
        raise RowRefused(f"合同金额（万元）须为数字：{value}") from None


def _cells(row: dict[str, Any], cmap: ColumnMap) -> dict[str, Any]:
    """Field → the row's value (the first column of a field that has one), text cleaned."""
    found: dict[str, Any] = {}
    for header, name in cmap.fields.items():
        value = row.get(header)
        if isinstance(value, str):
            value = clean(value).strip() or None
        if value is not None and name not in found:
            found[name] = value
    return found


def _need(session: Session, cells: dict[str, Any], report: LedgerReport) -> Need:
    title, org = str(cells["need"]), str(cells.get("organization") or "")
    rows = list(session.scalars(select(Need).where(Need.title == title)))
    if org:
        rows = [n for n in rows if institution_key(n.organization or "") == institution_key(org)] or [
            n for n in rows if not n.organization
        ]
    if len(rows) > 1:
        raise RowRefused(f"有 {len(rows)} 个需求名为「{title}」，请填写需求企业以区分")
    if rows:
        return rows[0]
    region = cells.get("region")
    need = Need(id=derived_id("needs", {"title": title, "organization": org}), title=title, description="",
                organization=org or None, region=region_name(region) if region else None,
                field=cells.get("field"))  # fmt: skip
    session.add(need)
    session.flush()
    report.needs_created += 1
    report.created_names.append(f"需求「{title}」")
    return need


def _expert(session: Session, resolver: InstitutionResolver, name: str, institution: str | None,
            source: str, report: LedgerReport) -> str:  # fmt: skip
    """The expert's id: by the ids imports give (name + institution), else the only expert of that name at that
    institution (or of that name, when no institution is written); created when there is none."""
    canonical = resolver.canonical(institution) if institution else None
    for candidate in (expert_id(name, canonical, None), written_expert_id(name, canonical)):
        if session.scalar(select(Expert.pk).where(Expert.id == candidate)) is not None:
            return candidate
    namesakes = list(session.scalars(select(Expert).where(Expert.name == name)))
    if canonical:
        key = institution_key(canonical)
        namesakes = [e for e in namesakes if e.institution and institution_key(e.institution.name) == key]
    if len(namesakes) == 1:
        return namesakes[0].id
    if len(namesakes) > 1:
        raise RowRefused(f"有 {len(namesakes)} 位专家名为「{name}」，请填写对接单位以区分")
    inst = resolver.get(institution)
    expert = Expert(id=expert_id(name, canonical, None), name=name, institution=inst, sources=[source])
    session.add(expert)
    session.flush()
    report.partners_created += 1
    report.created_names.append(f"专家「{name}」")
    return expert.id


def _partner(session: Session, cells: dict[str, Any], source: str, report: LedgerReport) -> tuple[str, str]:
    """(level, target id) of the row's partner."""
    resolver = InstitutionResolver(session)
    institution = cells.get("institution")
    if cells.get("expert"):
        return "expert", _expert(session, resolver, str(cells["expert"]), institution, source, report)
    if institution:
        known = institution_key(str(institution)) in resolver.by_key
        inst = resolver.get(str(institution))
        assert inst is not None
        session.flush()
        if not known:
            report.partners_created += 1
            report.created_names.append(f"单位「{inst.name}」")
        return "institution", inst.id
    if cells.get("outcome"):
        found = session.scalar(select(Outcome.id).where(Outcome.title == str(cells["outcome"])).limit(1))
        if found is None:
            raise RowRefused(f"找不到成果「{cells['outcome']}」")
        return "outcome", found
    raise RowRefused("缺少对接单位、对接专家或对接成果")


def _contract(session: Session, row: Engagement, cells: dict[str, Any], day: date | None, actor: str) -> bool:
    """Record the row's contract unless it is recorded already (same registration number, or same type, amount and
    signing day); whether one was added."""
    if not any(cells.get(k) for k in ("contract_type", "amount_wan", "registration_no")):
        return False
    kind, amount = contract_type(cells.get("contract_type")), amount_of(cells.get("amount_wan"))
    signed = day_of(cells.get("signed_on"), "签约日期") or day
    number = str(cells["registration_no"]) if cells.get("registration_no") else None
    same = [c for c in row.contracts if (number and c.registration_no == number) or
            (not number and (c.type, c.amount_wan, c.signed_on) == (kind, amount, signed))]  # fmt: skip
    if same:
        return False
    parties = [p for p in re.split(r"[;；、,，]", str(cells.get("parties") or "")) if p.strip()]
    svc.add_contract(session, engagement_id=row.pk, type=kind, actor=actor, amount_wan=amount, signed_on=signed,
                     registration_no=number, parties=parties)  # fmt: skip
    return True


def _apply(session: Session, cells: dict[str, Any], source: str, actor: str, report: LedgerReport) -> bool:
    """Record one row; whether it changed anything."""
    has_contract = any(cells.get(k) for k in ("contract_type", "amount_wan", "registration_no"))
    stage = stage_of(cells.get("stage"), has_contract)
    day = day_of(cells.get("stage_date"), "阶段日期")
    need = _need(session, cells, report)
    level, target = _partner(session, cells, source, report)
    query = select(Engagement).where(Engagement.need_pk == need.pk, Engagement.level == level)
    row = session.scalar(query.where(Engagement.target_id == target))
    changed = row is None or row.stage != stage
    if row is not None and not is_forward(row.stage, stage):
        raise RowRefused(f"阶段倒退：台账写「{label(stage)}」，已记录「{label(row.stage)}」（如需更正请在页面上操作）")
    if changed and not (stage == "signed" and has_contract and row is not None):
        reason = cells.get("reason") or cells.get("notes") or "台账记为不合适"
        record_feedback(session, need_id=need.id, level=level, target_id=target, stage=stage,
                        reason=str(reason) if stage == "rejected" else None, actor=actor, on=day,
                        closed_ok=True)  # fmt: skip
    row = session.scalar(query.where(Engagement.target_id == target))
    assert row is not None  # recorded above, or before
    if row.source == "feedback":
        row.source, row.source_ref, row.created_by = "import", source, actor
    edits = {k: cells[k] for k in ("owner", "next_action", "notes") if cells.get(k)}
    if cells.get("due_date"):
        edits["due_date"] = day_of(cells["due_date"], "跟进日期")
    changed |= any(getattr(row, k) != v for k, v in edits.items())
    svc.update_engagement(session, engagement_id=row.pk, changes={k: str(v) if k != "due_date" else v
                                                                  for k, v in edits.items()})  # fmt: skip
    if _contract(session, row, cells, day, actor):
        report.contracts += 1
        changed = True
    return changed


def import_ledger(
    factory: sessionmaker[Session],
    *,
    path: Path,
    actor: str = "import",
    mapping: dict[str, str] | None = None,
    rejects_path: Path | None = None,
    max_sheet_bytes: int = MAX_SHEET_BYTES,
) -> LedgerReport:
    """Import a 台账 sheet; each row its own transaction, refused rows written to the rejects file."""
    table, cmap = open_table(path, KIND, mapping, max_sheet_bytes)
    report = LedgerReport(kind=KIND, path=str(path), source=table.source, notes=table.notes)
    report.mapping, report.ignored = dict(cmap.fields), list(cmap.ignored)
    rejects = _Rejects(rejects_path or path.with_name(path.name + ".rejects.jsonl"), report)
    try:
        for line, row in table.rows:
            if isinstance(row, RowError):
                rejects.add(line, row.reason, row.raw)
                continue
            cells = _cells(row, cmap)
            if not cells.get("need"):
                if cells:
                    rejects.add(line, "缺少需求名称", row)
                continue
            before = (report.needs_created, report.partners_created, report.contracts, len(report.created_names))
            try:
                with transaction(factory) as session:
                    changed = _apply(session, cells, path.name, actor, report)
            except (RowRefused, InputError, ConflictError, NotFoundError) as exc:
                report.needs_created, report.partners_created, report.contracts = before[:3]
                del report.created_names[before[3] :]  # the row's transaction was rolled back
                rejects.add(line, str(exc), row)
                continue
            report.accepted += 1
            report.unchanged += not changed
    finally:
        rejects.close()
    log.info("ledger %s: %d rows recorded, %d rejected", path, report.accepted, report.rejected)
    return report


def preview_ledger(path: Path, *, mapping: dict[str, str] | None = None, rows: int = 5) -> Preview:
    """What importing the 台账 would read, storing nothing: the column map and the first rows (need, enterprise,
    partner, stage), or why a row would be refused before it reaches the database."""
    table, cmap = open_table(path, KIND, mapping, MAX_SHEET_BYTES)
    sample: list[dict[str, Any]] = []
    for line, row in table.rows:
        if len(sample) >= rows:
            break
        if isinstance(row, RowError):
            sample.append({"line": line, "record": None, "reason": row.reason})
            continue
        cells = _cells(row, cmap)
        try:
            has_contract = any(cells.get(k) for k in ("contract_type", "amount_wan", "registration_no"))
            stage, _ = stage_of(cells.get("stage"), has_contract), day_of(cells.get("stage_date"), "阶段日期")
            if not cells.get("need"):
                raise RowRefused("缺少需求名称")
            partner = cells.get("expert") or cells.get("institution") or cells.get("outcome")
            if not partner:
                raise RowRefused("缺少对接单位、对接专家或对接成果")
        except RowRefused as exc:
            sample.append({"line": line, "record": None, "reason": str(exc)})
            continue
        record = {"title": f"{cells['need']} → {partner}（{label(stage)}）", "organization": cells.get("organization")}
        sample.append({"line": line, "record": {k: v for k, v in record.items() if v}, "reason": None})
    headers = table.headers or list(cmap.fields)
    return Preview(KIND, table.source, headers, cmap.fields, cmap.ignored, fields_of(KIND), sample, table.notes)

"""When an expert a file names is one already stored, and what is written down when it is.

- `agreeing`: the facts that say two records are one person (same email, same phone, overlapping 研究方向);
  `conflicting`: the facts that differ (another phone, email or 职称).
- `Provenance`: the file an import reads (the source of every merge — never the user), the user, the experts it
  named, and the merges it makes, each with direction, evidence and a snapshot that undoing it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from matcher.records import ExpertRecord
from matcher.services.changes import Writer, snapshot
from matcher.store.tables import Expert, ExpertMerge, PossibleDuplicate
from matcher.text.normalize import clean, institution_key
from matcher.text.units import main_unit


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _contact(row: Expert, name: str) -> str:
    return str((row.contacts or {}).get(name) or "")


def agreeing(session: Session, row: Expert, rec: ExpertRecord) -> list[str]:
    """The facts `rec` shares with the stored `row` beyond name and unit."""
    found = []
    given = {str(k): str(v) for k, v in (rec.contacts or {}).items()}
    email = given.get("email", "").strip().lower()
    if email and email == _contact(row, "email").strip().lower():
        found.append(f"邮箱相同（{email}）")
    phone = _digits(given.get("phone"))
    if len(phone) >= 7 and phone == _digits(_contact(row, "phone")):
        found.append("电话相同")
    shared = sorted({clean(f) for f in rec.fields} & {clean(f) for f in row.fields or []})
    if shared:
        found.append(f"研究方向重合（{'、'.join(shared[:3])}）")
    if not found and _bare(row) and not conflicting(row, rec) and _facts(rec):
        found.append("已有记录只有姓名和单位（来自成果作者），本行补充其信息")
    return found


def _bare(row: Expert) -> bool:
    """A stored expert known only by name and unit (created as an author of an outcome)."""
    return not (row.title or row.fields or row.region or row.capacity is not None or row.contacts)


def _facts(rec: ExpertRecord) -> bool:
    return bool(rec.title or rec.fields or rec.region or rec.capacity is not None or rec.contacts)


def conflicting(row: Expert, rec: ExpertRecord) -> list[str]:
    """The facts in which `rec` and the stored `row` differ (both present)."""
    given = {str(k): str(v) for k, v in (rec.contacts or {}).items()}
    found = []
    if given.get("phone") and _contact(row, "phone") and _digits(given["phone"]) != _digits(_contact(row, "phone")):
        found.append("电话不同")
    email = given.get("email", "").strip().lower()
    if email and _contact(row, "email") and email != _contact(row, "email").strip().lower():
        found.append("邮箱不同")
    if rec.title and row.title and clean(rec.title) != clean(row.title):
        found.append(f"职称不同（{row.title} / {clean(rec.title)}）")
    return found


def expert_values(rec: ExpertRecord, names: set[str], contacts: dict[str, Any] | None, partial: bool) -> dict[str, Any]:
    """The stored values of `names` from `rec` (contacts merged into the stored ones when `partial`)."""
    values: dict[str, Any] = {n: getattr(rec, n) for n in names if n not in ("institution", "contacts")}
    if "name" in values:
        values["name"] = clean(rec.name)
    if "contacts" in names:
        given = None if rec.contacts is None else {str(k): v for k, v in rec.contacts.items()}
        values["contacts"] = {**(contacts or {}), **given} if partial and given is not None else given
    return values


def _unit(row: Expert) -> str:
    return row.institution.name if row.institution else "单位未填"


@dataclass
class Provenance:
    """The file an import reads (None: the API), the user, and the merges and changes it makes."""

    source: str | None = None
    actor: str | None = None
    merged: set[int] = field(default_factory=set)
    pending: list[tuple[Expert, dict[str, Any]]] = field(default_factory=list)
    before: dict[str, tuple[str, ...]] = field(default_factory=dict)  # expert id → its sources before this import
    touched: set[str] = field(default_factory=set)  # experts this import wrote
    writer: Writer = field(init=False)

    def __post_init__(self) -> None:
        self.writer = Writer(source=self.source or "API", actor=self.actor)

    def mark(self) -> tuple[Any, ...]:
        return self.writer.mark(), set(self.merged), set(self.touched), dict(self.before)

    def reset(self, marked: tuple[Any, ...]) -> None:
        """Back to `mark`: a batch the database refused is stored again row by row."""
        self.writer.reset(marked[0])
        self.merged, self.touched, self.before = set(marked[1]), set(marked[2]), dict(marked[3])
        self.pending.clear()

    def named(self, row: Expert) -> None:
        self.before.setdefault(row.id, tuple(row.sources or []))
        self.touched.add(row.id)
        if self.source and self.source not in (row.sources or []):
            row.sources = [*(row.sources or []), self.source][-20:]

    def needs_evidence(self, row: Expert) -> bool:
        """Whether a file's row of `row`'s name and unit must prove it is the same person: always, unless the
        file is the one that stored `row` (a re-import updates its own rows) and this import has not yet
        written `row` (two rows of one name and unit in one file are two facts to compare)."""
        if self.source is None:
            return False
        if row.id in self.touched:
            return True
        return self.source not in self.before.get(row.id, tuple(row.sources or []))

    def merge(self, session: Session, row: Expert, rec: ExpertRecord, evidence: list[str]) -> None:
        """`rec` (a file's row) is merged into the stored `row`: written down before `row` changes."""
        session.flush()
        direction = (
            f"文件「{self.source}」中的 {clean(rec.name)}（{rec.institution or '单位未填'}）"
            f"并入已有专家 {row.name}（{_unit(row)}，编号 {row.id}）"
        )
        absorbed = {"record": rec.model_dump(mode="json"), "outcomes": []}
        self.merged.add(row.pk)
        session.add(
            ExpertMerge(
                expert_pk=row.pk,
                name=clean(rec.name),
                institution=rec.institution,
                source=self.source or "API",
                reason="；".join(evidence),
                direction=direction,
                evidence=evidence,
                snapshot={"before": snapshot(row), "absorbed": absorbed},
            )
        )
        self.named(row)

    def fold(self, row: Expert, name: str, written: str | None) -> None:
        """`row` existed before this outcome reference named it: a merge when the reference came from another
        file or wrote the institution another way (once: importing the same file again merges nothing new)."""
        earlier = self.before.get(row.id, tuple(row.sources or []))
        if self.source and self.source in earlier:
            return
        reasons = []
        others = [s for s in earlier if s != self.source]
        if self.source and others:
            reasons.append(f"同名同单位（{main_unit(_unit(row))}），已由 {'、'.join(others[:2])} 导入")
        current = row.institution.name if row.institution else None
        if written and current and institution_key(written) != institution_key(current):
            reasons.append(f"单位写法不同：{written} → {current}")
        if reasons:
            self.pending.append((row, {"name": name, "written": written, "reasons": reasons}))

    def write(self, session: Session) -> None:
        """The reference folds noted since the last write, as rows (the experts have their pks by now)."""
        session.flush()
        for row, fold in self.pending:
            self.merged.add(row.pk)
            direction = (
                f"文件「{self.source or 'API'}」成果作者 {fold['name']}（{fold['written'] or '单位未填'}）"
                f"并入已有专家 {row.name}（{_unit(row)}，编号 {row.id}）"
            )
            absorbed = {"record": {"name": fold["name"], "institution": fold["written"]}, "outcomes": None}
            session.add(
                ExpertMerge(
                    expert_pk=row.pk,
                    name=fold["name"],
                    institution=fold["written"],
                    source=self.source or "API",
                    reason="；".join(fold["reasons"]),
                    direction=direction,
                    evidence=fold["reasons"],
                    snapshot={"before": None, "absorbed": absorbed},
                )
            )
        if self.pending:
            self.writer.tally["merged"] += len(self.pending)
        self.pending.clear()


def note_duplicate(session: Session, row: Expert, other: Expert, differ: list[str], provenance: Provenance) -> None:
    """`other` (just stored) may be the same person as `row`: recorded for staff to confirm or reject."""
    session.flush()
    why = "同名同单位，没有相同的邮箱、电话或研究方向" + (f"；{'、'.join(differ)}" if differ else "")
    session.add(
        PossibleDuplicate(
            expert_pk=row.pk, other_pk=other.pk, reason=why, source=provenance.source or "API", status="open"
        )
    )

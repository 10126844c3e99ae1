"""Import a file of records: read it (`readers.py`), map its columns (`columns.py`), shape each row into a record
(`shape.py`), validate it, upsert in committed batches, write rejects.

Each batch is one transaction, and its audit entry (when the caller keeps an audit log) is written in the same
transaction: a crash loses at most the batch in flight (never half of it), every committed batch is on record,
and upserts by id make a re-run safe. Rows that fail validation go to the rejects file with line and reason.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import MAX_SHEET_BYTES
from matcher.errors import ConflictError, InputError
from matcher.ingest.columns import ColumnMap, guess
from matcher.ingest.readers import read_table
from matcher.ingest.shape import normalised, record_of
from matcher.ingest.table import Row, RowError, Table
from matcher.ingest.upsert import Provenance, upsert_experts, upsert_institutions, upsert_needs, upsert_outcomes
from matcher.records import RECORD_TYPES
from matcher.store.db import transaction
from matcher.store.resolve import InstitutionResolver
from matcher.text.tokenize import Tokenizer
from matcher.words_zh import field_zh, message_zh

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
AfterBatch = Callable[[list[Any]], None]
Audit = Callable[[Session, dict[str, Any]], None]  # writes one audit entry inside a batch's transaction


@dataclass
class ImportReport:
    kind: str
    path: str
    accepted: int = 0  # distinct records stored (a record repeated in the file counts once: the last one wins)
    rejected: int = 0
    repeated: int = 0  # rows whose id an earlier row of the same file had
    batches: int = 0
    rejects_path: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    source: str = ""  # the format read: jsonl, csv, xlsx, xls, ris, endnote, noteexpress, refworks, docx
    mapping: dict[str, str] = field(default_factory=dict)  # column → field used
    ignored: list[str] = field(default_factory=list)  # columns read but not used
    notes: list[str] = field(default_factory=list)  # what the reader decided (an encoding, a sheet, forms)
    merged: int = 0  # experts an import folded into existing ones (`matcher experts merges` says why)
    counts: dict[str, int] = field(default_factory=dict)  # created, updated, unchanged, merged, duplicates …

    def matched_stored(self) -> int:
        """Rows that met a record stored before (updated, unchanged, merged, the same record from another export)."""
        return sum(self.counts.get(k, 0) for k in ("updated", "unchanged", "merged", "duplicates"))


def _reason(exc: ValidationError) -> str:
    """Up to three of a row's errors in Chinese: 标题：必填；年份：须为整数."""
    parts = []
    for err in exc.errors()[:3]:
        where = field_zh(".".join(str(p) for p in err["loc"])) or "本行"
        parts.append(f"{where}：{message_zh(dict(err))}")
    return "；".join(parts)


def _json_safe(value: Any) -> Any:
    """Rejected rows as strict JSON: NaN and infinities (from a spreadsheet, say) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


class _Rejects:
    """Writes rejected rows lazily (the file only exists if something was rejected)."""

    def __init__(self, path: Path, report: ImportReport) -> None:
        self.path, self.report = path, report
        self.handle: TextIO | None = None

    def add(self, line: int, reason: str, raw: Any) -> None:
        if self.handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = self.path.open("w", encoding="utf-8")
            self.report.rejects_path = str(self.path)
        entry = {"line": line, "reason": reason, "row": _json_safe(raw)}
        self.handle.write(json.dumps(entry, ensure_ascii=False, allow_nan=False) + "\n")
        self.report.rejected += 1
        key = reason.split(":")[0]
        self.report.reasons[key] = self.report.reasons.get(key, 0) + 1

    def close(self) -> None:
        if self.handle:
            self.handle.close()


def _checked(model: type[BaseModel], row: Any) -> BaseModel | str:
    """The row as its record schema stores it, or the reason the import rejects it."""
    if isinstance(row, RowError):
        return row.reason
    try:
        return model.model_validate(row)
    except ValidationError as exc:
        return _reason(exc)


@dataclass(frozen=True)
class Layout:
    """Where the data is, when staff say so: the header row (from 1) and the sheet (a name or a number)."""

    header_row: int | None = None
    sheet: str | None = None


def open_table(
    path: Path, kind: str, mapping: dict[str, str] | None, max_sheet_bytes: int, layout: Layout | None = None
) -> tuple[Table, ColumnMap]:
    """The file as a table and the map of its columns (the identity for rows keyed by field names)."""
    where = layout or Layout()
    table = read_table(path, kind, max_sheet_bytes=max_sheet_bytes, header_row=where.header_row, sheet=where.sheet)
    if table.keyed:
        return table, ColumnMap.identity(kind)
    if table.source == "docx" and not table.headers:  # no form could be read: each is a rejected row with its reason
        return table, ColumnMap(kind)
    cmap = guess(kind, table.headers, mapping)
    if cmap.unused:
        table.notes.append(f"指定的列不在文件中，未使用：{'、'.join(cmap.unused)}")
    return table, cmap


def shaped(table: Table, kind: str, cmap: ColumnMap, *, clear_empty: bool = False) -> Iterator[Row]:
    """Each row as the record it stands for (field names, values read, an id where it had none); `clear_empty`:
    an empty cell of a mapped column clears its field."""
    for line, row in table.rows:
        if isinstance(row, RowError):
            yield line, row
        elif table.keyed:
            yield line, normalised(kind, dict(row))
        else:
            yield line, record_of(kind, row, cmap, clear_empty=clear_empty)


def _valid_batches(
    rows: Iterator[Row], model: type[BaseModel], rejects: _Rejects, size: int
) -> Iterator[list[tuple[int, BaseModel]]]:
    batch: list[tuple[int, BaseModel]] = []
    for line, row in rows:
        record = _checked(model, row)
        if isinstance(record, str):
            rejects.add(line, record, row.raw if isinstance(row, RowError) else row)
            continue
        batch.append((line, record))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def valid_records(path: Path, kind: str) -> tuple[list[dict[str, Any]], int]:
    """The records of `path` as `matcher import` would store them (mapped, shaped, validated and cleaned by the
    record schema, a repeated id's last row winning, in the order of their first rows) and how many rows it would
    reject."""
    table, cmap = open_table(path, kind, None, MAX_SHEET_BYTES)
    kept: dict[Any, dict[str, Any]] = {}
    rejected = 0
    for line, row in shaped(table, kind, cmap):
        record = _checked(RECORD_TYPES[kind], row)
        if isinstance(record, str):
            rejected += 1
        else:
            kept[getattr(record, "id", None) or ("line", line)] = record.model_dump()
    return list(kept.values()), rejected


@dataclass
class Preview:
    """What an import would do, without storing: the column map, the first rows as records or their reasons."""

    kind: str
    source: str
    headers: list[str]
    mapping: dict[str, str]
    ignored: list[str]
    fields: list[str]
    rows: list[dict[str, Any]]
    notes: list[str]


def preview(
    path: Path, kind: str, *, mapping: dict[str, str] | None = None, rows: int = 5, layout: Layout | None = None
) -> Preview:
    from matcher.ingest.columns import fields_of

    table, cmap = open_table(path, kind, mapping, MAX_SHEET_BYTES, layout)
    sample = []
    for line, row in shaped(table, kind, cmap) if rows > 0 else ():
        record = _checked(RECORD_TYPES[kind], row)
        stored = record.model_dump(exclude_none=True) if not isinstance(record, str) else None
        sample.append({"line": line, "record": stored, "reason": record if isinstance(record, str) else None})
        if len(sample) >= rows:
            break
    headers = table.headers or list(cmap.fields)
    return Preview(kind, table.source, headers, cmap.fields, cmap.ignored, fields_of(kind), sample, table.notes)


def import_file(
    factory: sessionmaker[Session],
    *,
    kind: str,
    path: Path,
    tokenizer: Tokenizer,
    max_chars: int,
    batch_size: int = 500,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
    after_batch: AfterBatch | None = None,
    mapping: dict[str, str] | None = None,
    audit: Audit | None = None,
    max_sheet_bytes: int = MAX_SHEET_BYTES,
    source: str | None = None,
    actor: str | None = None,
    clear_empty: bool = False,
    layout: Layout | None = None,
) -> ImportReport:
    """Import `path` as records of `kind` (needs, outcomes, experts, institutions); `mapping` overrides the column
    guess ({column: field}), `source` names the file in the merges and the change log (default: its name),
    `actor` the user. Only the fields the file carries are written (`clear_empty`: an empty cell clears)."""
    if kind not in RECORD_TYPES:
        raise InputError(f"unknown record kind {kind!r}; expected one of {', '.join(RECORD_TYPES)}")
    table, cmap = open_table(path, kind, mapping, max_sheet_bytes, layout)
    report = ImportReport(kind=kind, path=str(path), source=table.source, notes=table.notes)
    if not table.keyed:
        report.mapping, report.ignored = dict(cmap.fields), list(cmap.ignored)
    rejects = _Rejects(rejects_path or path.with_name(path.name + ".rejects.jsonl"), report)
    provenance, seen = Provenance(source or path.name, actor), set[str]()
    try:
        rows = shaped(table, kind, cmap, clear_empty=clear_empty)
        for batch in _valid_batches(rows, RECORD_TYPES[kind], rejects, batch_size):
            step = _Step(kind, tokenizer, max_chars, provenance, audit)
            stored = _commit_batch(factory, step, batch, rejects)
            ids = [getattr(rec, "id", None) for rec in stored]
            again = _repeats(ids, seen)
            report.accepted += len(stored) - again
            report.repeated += again
            report.batches += 1
            if after_batch and stored:
                after_batch(stored)
            if progress:
                progress(len(batch))
    finally:
        rejects.close()
    report.merged = len(provenance.merged)
    report.counts = {**provenance.writer.tally, "rejected": report.rejected}
    # distinct records written (a row repeated in the file, or an outcome already stored from another export, is
    # counted as a duplicate, not again)
    written = ("created", "updated", "unchanged", "possible_duplicates", *(("merged",) if kind == "experts" else ()))
    report.accepted = sum(report.counts.get(k, 0) for k in written)
    log.info("imported %s: %d accepted, %d rejected", path, report.accepted, report.rejected)
    return report


@dataclass
class _Step:
    """What committing one batch needs besides its records."""

    kind: str
    tokenizer: Tokenizer
    max_chars: int
    provenance: Provenance
    audit: Audit | None


def _repeats(ids: list[str | None], seen: set[str]) -> int:
    """How many of `ids` were seen before (in earlier batches or earlier in this one); remembers them all."""
    again = 0
    for i in ids:
        if i is not None:
            again += i in seen
            seen.add(i)
    return again


def _commit_batch(
    factory: sessionmaker[Session], step: _Step, batch: list[tuple[int, Any]], rejects: _Rejects
) -> list[Any]:
    """Commit a batch atomically (with its audit entry) and return its stored records; if the database refuses
    the batch, retry row by row and reject the rows it refuses."""
    records = [rec for _, rec in batch]
    lines = [line for line, _ in batch]

    def audited(session: Session) -> None:
        if step.audit:
            step.audit(session, {"rows": len(records), "lines": [lines[0], lines[-1]]})

    marked = step.provenance.mark()
    try:
        upsert_records(factory, step.kind, records, step.tokenizer, step.max_chars, provenance=step.provenance,
                       then=audited)  # fmt: skip
    except ConflictError as exc:
        step.provenance.reset(marked)
        if len(batch) == 1:
            line, rec = batch[0]
            rejects.add(line, f"conflict: {exc}", rec.model_dump())
            return []
        return [rec for item in batch for rec in _commit_batch(factory, step, [item], rejects)]
    return records


def upsert_records(
    factory: sessionmaker[Session],
    kind: str,
    records: list[Any],
    tokenizer: Tokenizer,
    max_chars: int,
    *,
    strict: bool = False,
    provenance: Provenance | None = None,
    then: Callable[[Session], None] | None = None,
    actor: str | None = None,
) -> None:
    """Store `records` in one transaction (all or nothing), and run `then` in it. `strict` (the API): a record
    names exactly the row it changes and is written whole; otherwise (file imports) an institution may be the one
    its name resolves to, and only the fields a record carries are written."""
    try:
        _upsert(factory, kind, records, tokenizer, max_chars, strict, provenance or Provenance(None, actor), then)
    except IntegrityError as exc:  # a concurrent writer stored the same id first (the database's words: logged)
        log.warning("import of %s met a concurrent write: %s", kind, exc.orig)
        raise ConflictError("另一项操作同时写入了相同编号的数据，本次未保存任何内容；请稍后重试") from exc


def _upsert(
    factory: sessionmaker[Session],
    kind: str,
    records: list[Any],
    tokenizer: Tokenizer,
    max_chars: int,
    strict: bool,
    provenance: Provenance,
    then: Callable[[Session], None] | None,
) -> None:
    partial, writer = not strict, provenance.writer
    with transaction(factory) as session:
        if kind == "needs":
            upsert_needs(session, records=records, writer=writer, partial=partial)
        else:
            resolver = InstitutionResolver(session)
            if kind == "institutions":
                upsert_institutions(session, records=records, resolver=resolver, writer=writer, strict=strict,
                                    partial=partial)  # fmt: skip
            elif kind == "experts":
                upsert_experts(session, records=records, resolver=resolver, provenance=provenance, partial=partial,
                               strict=strict)  # fmt: skip
            else:
                upsert_outcomes(session, records=records, resolver=resolver, tokenizer=tokenizer,
                                max_chars=max_chars, provenance=provenance, partial=partial)  # fmt: skip
        if then:
            then(session)

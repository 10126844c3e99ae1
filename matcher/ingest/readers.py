"""Read a file into a `Table`: headers, then (line number, row) pairs.

Text formats are decoded as UTF-8 when the file's first megabyte is UTF-8, else as the encoding charset-normalizer
finds (GB18030 — GBK is its subset — Big5, UTF-16 with or without a BOM); a line that cannot be decoded cleanly
(a GBK record after UTF-8 ones, say) becomes a `RowError` with its true line number, so the importer rejects that
row and carries on and nothing is ever stored with U+FFFD. Sheets as staff lay them out — a title row above the
header, blank, notes and 合计 rows, several sheets — are read by `layout.py`, workbooks by `workbooks.py`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, cast

from matcher.config import MAX_SHEET_BYTES
from matcher.errors import InputError
from matcher.ingest.columns import label_keys
from matcher.ingest.formats import format_of
from matcher.ingest.forms import form_table
from matcher.ingest.layout import SCAN, find_header, header_of, skip_reason
from matcher.ingest.references import FIELDS, reference_rows, sniff
from matcher.ingest.table import Row, RowError, Table
from matcher.ingest.workbooks import READ_ERRORS, xls_table, xlsx_table

SNIFF_BYTES = 1 << 20
csv.field_size_limit(min(sys.maxsize, 1 << 27))  # a huge cell is read, then refused by the schema, not fatal
CANDIDATES = ["utf_8", "gb18030", "big5", "utf_16", "utf_16_le", "utf_16_be"]


def _open_binary(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")


def detect_encoding(head: bytes) -> str:
    """utf-8 (a BOM is dropped) when the head decodes as UTF-8 (a character cut at its end allowed); utf-16 when
    it starts with its BOM; else what charset-normalizer finds among GB18030, Big5 and UTF-16; else utf-8 (and
    the lines that are not are rejected)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    found = from_bytes(head, cp_isolation=CANDIDATES).best()
    if found is None:
        return "utf-8"
    name = codecs.lookup(found.encoding).name
    return "gb18030" if name in ("gbk", "gb2312", "cp936") else name


@dataclass
class _Lines:
    """Physical lines of a byte stream decoded one by one; undecodable ones are remembered and replaced (so CSV
    parsing goes on and the row holding them is rejected). UTF-16 is decoded as a stream (its newline is two
    bytes), a line holding a replacement character counted as undecodable."""

    handle: IO[bytes]
    bad: dict[int, str]
    encoding: str = "utf-8"
    number: int = 0

    def _raw(self) -> Iterator[str | bytes]:
        if self.encoding.startswith("utf-16"):
            yield from io.TextIOWrapper(self.handle, encoding=self.encoding, errors="replace", newline="")
        else:
            yield from self.handle

    def __iter__(self) -> Iterator[str]:
        for raw in self._raw():
            self.number += 1
            if isinstance(raw, str):
                if "\ufffd" in raw:
                    self.bad[self.number] = f"无法按 {self.encoding} 解码（第 {self.number} 行）"
                yield raw.removeprefix("\ufeff")
                continue
            if self.number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                yield raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                where = f"第 {self.number} 行第 {exc.start} 字节"
                self.bad[self.number] = f"无法按 {self.encoding} 解码（{exc.reason}，{where}）"
                yield raw.decode(self.encoding, errors="replace")


def read_table(
    path: Path,
    kind: str,
    *,
    max_sheet_bytes: int = MAX_SHEET_BYTES,
    header_row: int | None = None,
    sheet: str | None = None,
) -> Table:
    """`path` as a table of rows for records of `kind`; `header_row` (from 1) and `sheet` (a name or a number
    from 1) override what is found. A file that cannot be read is one InputError; a file that breaks off while
    its rows are read (truncated, corrupt further on) ends with one rejected row saying so, the rows before it
    imported."""
    try:
        table = _read(path, kind, max_sheet_bytes, header_row, sheet)
    except InputError:
        raise
    except READ_ERRORS as exc:
        raise InputError(f"{path.name}：文件已损坏或格式不符，无法读取（{type(exc).__name__}）") from exc
    table.rows = _guarded(table.rows, table.notes)
    return table


def _guarded(rows: Iterator[Row], notes: list[str]) -> Iterator[Row]:
    line = 0
    try:
        for line, row in rows:
            yield line, row
    except InputError as exc:
        yield line + 1, RowError(str(exc), "")
    except READ_ERRORS as exc:
        reason = f"文件在第 {line} 行之后截断或损坏，其后的内容无法读取（{type(exc).__name__}）"
        notes.append(reason + "；之前的各行已照常导入")
        yield line + 1, RowError(reason, "")


def _read(path: Path, kind: str, max_sheet_bytes: int, header_row: int | None, sheet: str | None) -> Table:
    if not path.exists():
        raise InputError(f"{path}：文件不存在")
    fmt = format_of(path)
    if fmt in ("docx", "forms"):
        return form_table(path, label_keys(kind), max_bytes=max_sheet_bytes)
    if fmt == "xlsx":
        return xlsx_table(path, kind, max_sheet_bytes=max_sheet_bytes, header_row=header_row, sheet=sheet)
    if fmt == "xls":
        return xls_table(path, kind, max_sheet_bytes=max_sheet_bytes, header_row=header_row, sheet=sheet)
    try:
        with _open_binary(path) as handle:
            encoding = detect_encoding(handle.read(SNIFF_BYTES))
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise InputError(f"{path.name}：文件无法读取（{type(exc).__name__}）") from exc
    notes = [] if encoding == "utf-8" else [f"编码 {encoding.upper()}"]
    if fmt in ("ris", "endnote", "text"):
        return _reference_table(path, fmt, encoding, notes)
    return _text_table(path, fmt, encoding, notes, kind, header_row)


def _reference_table(path: Path, fmt: str, encoding: str, notes: list[str]) -> Table:
    lines = _Lines(_open_binary(path), {}, encoding)
    try:
        with lines.handle:
            text = "".join(lines)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path.name}：文件无法读取（{type(exc).__name__}）") from exc
    found = sniff(text) or ("ris" if fmt == "ris" else None)
    if found is None:
        raise InputError(f"{path.name}：不是可识别的文献导出格式（RIS、EndNote、NoteExpress 或 RefWorks）")
    return Table(FIELDS, _clean_records(reference_rows(text, found), lines.bad), found, keyed=True, notes=notes)


def _clean_records(rows: Iterator[Row], bad: dict[int, str]) -> Iterator[Row]:
    """Records holding an undecodable line are rejected with its line number (never stored with U+FFFD)."""
    for line, row in rows:
        if isinstance(row, dict) and "\ufffd" in json.dumps(row, ensure_ascii=False, default=str):
            where = sorted(n for n in bad if n >= line)[:1] or [line]
            yield line, RowError(bad.get(where[0], f"第 {where[0]} 行无法解码"), json.dumps(row, ensure_ascii=False))
        else:
            yield line, row


def _text_table(path: Path, fmt: str, encoding: str, notes: list[str], kind: str, header_row: int | None) -> Table:
    handle = _open_binary(path)
    lines = _Lines(handle, {}, encoding)
    if fmt == "jsonl":
        return Table([], _closing(handle, _jsonl_rows(lines)), "jsonl", keyed=True, notes=notes)
    reader = csv.reader(iter(lines), delimiter="\t" if fmt == "tsv" else ",")
    records = _csv_records(reader, lines)
    try:
        head = list(islice(records, SCAN))
    except (OSError, EOFError) as exc:
        handle.close()
        raise InputError(f"{path.name}：文件无法读取（{type(exc).__name__}）") from exc
    plain = [values if isinstance(values, tuple) else () for _, values in head]
    at = find_header(plain, kind, header_row)
    if at is None:
        at = next((i for i, values in enumerate(plain) if values and skip_reason(values) != "空行"), 0)
    if head and head[at][0] > 1:
        notes.append(f"表头在第 {head[at][0]} 行（其上 {head[at][0] - 1} 行不是数据）")
    header = header_of(plain[at]) if head else []
    rows = _csv_rows(header, chain(head[at + 1 :], records), notes)
    return Table(header, _closing(handle, rows), fmt, notes=notes)


def _closing(handle: IO[bytes], rows: Iterator[Row]) -> Iterator[Row]:
    try:
        yield from rows
    finally:
        handle.close()


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _jsonl_rows(lines: _Lines) -> Iterator[Row]:
    for line in lines:
        number = lines.number
        if number in lines.bad:
            yield number, RowError(lines.bad[number], line.rstrip("\n"))
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            yield number, RowError(f"不是有效的 JSON：{exc.msg}（第 {exc.colno} 列）", line.rstrip("\n"))
            continue
        except ValueError as exc:
            yield number, RowError(f"不是有效的 JSON：{exc}", line.rstrip("\n"))
            continue
        if isinstance(value, dict):
            yield number, value
        else:
            yield number, RowError("每行须是一个 JSON 对象", line.rstrip("\n"))


def _csv_records(reader: Any, lines: _Lines) -> Iterator[tuple[int, tuple[str, ...] | RowError]]:
    """(first line, cells) of every CSV record, or the reason it cannot be read (a malformed or undecodable one)."""
    first = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a malformed row: rejected, the rest still read
            yield first, RowError(f"CSV 行无法解析：{exc}", "")
            first = reader.line_num + 1
            continue
        span, first = range(first, reader.line_num + 1), reader.line_num + 1
        bad = next((lines.bad[n] for n in span if n in lines.bad), None)
        yield span.start, RowError(bad, json.dumps(values, ensure_ascii=False)) if bad else tuple(values)


def _csv_rows(header: list[str], records: Iterator[tuple[int, Any]], notes: list[str]) -> Iterator[Row]:
    skipped: dict[str, int] = {}
    for line, values in records:
        if isinstance(values, RowError):
            yield line, values
            continue
        why = skip_reason(values)
        if why:
            skipped[why] = skipped.get(why, 0) + (why != "空行")
            continue
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            extra = sum(1 for v in values[len(header) :] if v.strip())
            raw = json.dumps(dict(zip(header, values, strict=False)), ensure_ascii=False)
            yield line, RowError(f"比表头多出 {extra} 列（未加引号的逗号或制表符？）", raw)
            continue
        clean = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if clean:
            yield line, clean
    counted = {why: n for why, n in skipped.items() if n}
    if counted:
        notes.append("跳过 " + "、".join(f"{n} 个{why}" for why, n in counted.items()))

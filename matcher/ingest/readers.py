"""Read a file into a `Table`: headers, then (line number, row) pairs.

Text formats are decoded as UTF-8 or, when that fails, GBK/GB18030 (what Excel on Chinese Windows writes),
decided once on the file's first megabyte; a line that still cannot be decoded (or a CSV row wider than its
header) becomes a `RowError` with its true line number, so the importer rejects that row and carries on.
Spreadsheets are read by the rows and cells actually present — never by the size a sheet declares — and a sheet
whose XML is larger than `max_sheet_bytes` is refused before it is parsed.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from matcher.config import MAX_SHEET_BYTES
from matcher.errors import InputError
from matcher.ingest.columns import label_keys
from matcher.ingest.formats import format_of
from matcher.ingest.forms import form_table
from matcher.ingest.references import FIELDS, reference_rows, sniff
from matcher.ingest.table import Row, RowError, Table

SNIFF_BYTES = 1 << 20
csv.field_size_limit(min(sys.maxsize, 1 << 27))  # a huge cell is read, then refused by the schema, not fatal


def _open_binary(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")


def detect_encoding(head: bytes) -> str:
    """utf-8 (a BOM is dropped) when the head decodes as UTF-8 (a character cut at its end allowed), else
    gb18030 when it decodes as that (GBK is its subset), else utf-8 and the bad lines are rejected."""
    for codec in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(codec)().decode(head, final=False)
            return codec
        except UnicodeDecodeError:
            continue
    return "utf-8"


@dataclass
class _Lines:
    """Physical lines of a byte stream decoded one by one; undecodable ones are remembered and replaced (so CSV
    parsing goes on and the row holding them is rejected)."""

    handle: IO[bytes]
    bad: dict[int, str]
    encoding: str = "utf-8"
    number: int = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.handle:
            self.number += 1
            if self.number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                yield raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                where = f"第 {self.number} 行第 {exc.start} 字节"
                self.bad[self.number] = f"无法按 {self.encoding} 解码（{exc.reason}，{where}）"
                yield raw.decode(self.encoding, errors="replace")


def read_table(path: Path, kind: str, *, max_sheet_bytes: int = MAX_SHEET_BYTES) -> Table:
    """`path` as a table of rows for records of `kind`."""
    if not path.exists():
        raise InputError(f"{path}：文件不存在")
    fmt = format_of(path)
    if fmt in ("docx", "forms"):
        return form_table(path, label_keys(kind))
    if fmt == "xlsx":
        return _xlsx_table(path, max_sheet_bytes)
    if fmt == "xls":
        return _xls_table(path, max_sheet_bytes)
    with _open_binary(path) as handle:
        encoding = detect_encoding(handle.read(SNIFF_BYTES))
    notes = [] if encoding == "utf-8" else [f"编码 {encoding.upper()}"]
    if fmt in ("ris", "endnote", "text"):
        with _open_binary(path) as handle:
            text = handle.read().decode(encoding, errors="replace").removeprefix("\ufeff")
        found = sniff(text) or ("ris" if fmt == "ris" else None)
        if found is None:
            raise InputError(f"{path.name}：不是可识别的文献导出格式（RIS、EndNote、NoteExpress 或 RefWorks）")
        return Table(FIELDS, reference_rows(text, found), found, keyed=True, notes=notes)
    return _text_table(path, fmt, encoding, notes)


def _text_table(path: Path, fmt: str, encoding: str, notes: list[str]) -> Table:
    handle = _open_binary(path)
    lines = _Lines(handle, {}, encoding)
    if fmt == "jsonl":
        return Table([], _closing(handle, _jsonl_rows(lines)), "jsonl", keyed=True, notes=notes)
    reader = csv.DictReader(iter(lines), delimiter="\t" if fmt == "tsv" else ",")
    try:
        headers = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        handle.close()
        raise InputError(f"{path.name}：表头无法读取（{exc}）") from exc
    return Table(headers, _closing(handle, _csv_rows(reader, lines)), fmt, notes=notes)


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


def _csv_rows(reader: csv.DictReader[str], lines: _Lines) -> Iterator[Row]:
    first = 2  # the header is line 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a malformed row: rejected, the rest still read
            yield first, RowError(f"CSV 行无法解析：{exc}", "")
            first = reader.line_num + 1
            continue
        span, first = range(first, reader.line_num + 1), reader.line_num + 1
        bad = next((lines.bad[n] for n in span if n in lines.bad), None)
        if bad or None in row:
            extra = len(row.get(None) or [])
            reason = bad or f"比表头多出 {extra} 列（未加引号的逗号或制表符？）"
            yield span.start, RowError(reason, json.dumps({k: v for k, v in row.items() if k}, ensure_ascii=False))
            continue
        clean = {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
        if clean:
            yield span.start, clean


def _cell(value: Any) -> Any:
    """Numbers typed into a spreadsheet as text (an id 1001, a year 2021): whole numbers become strings, which
    the record schema turns back into numbers where it wants them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _sheet_rows(rows: Iterator[tuple[Any, ...]], width: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, values in enumerate(rows, start=2):
        yield number, tuple(values[:width])


def _keyed(header: list[str], rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[Row]:
    for number, values in rows:
        row = {h: _cell(v) for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if row:
            yield number, row


def _xlsx_table(path: Path, max_sheet_bytes: int) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/sheet")]
            big = max((i.file_size for i in sheets), default=0)
        if big > max_sheet_bytes:
            raise InputError(
                f"{path.name}：工作表解压后 {big / 1e6:.0f} MB，"
                f"超过 {max_sheet_bytes / 1e6:.0f} MB 的上限；请拆分后导入"
            )
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path.name}：不是可读的 XLSX 工作簿（{exc}）") from exc
    sheet = book.active
    if sheet is None:
        raise InputError(f"{path.name}：工作簿没有工作表")
    sheet.reset_dimensions()  # iterate the rows present, not the range the file declares (A1:XFD1048576)
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    while header and not header[-1]:
        header.pop()
    notes = [f"工作表 {sheet.title}"] if len(book.sheetnames) > 1 else []
    return Table(header, _keyed(header, _sheet_rows(rows, len(header))), "xlsx", notes=notes)


def _xls_table(path: Path, max_sheet_bytes: int) -> Table:
    import xlrd

    if path.stat().st_size > max_sheet_bytes:
        raise InputError(f"{path.name}：文件超过 {max_sheet_bytes / 1e6:.0f} MB 的上限；请拆分后导入")
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        sheet = book.sheet_by_index(0)
    except (xlrd.XLRDError, OSError, ValueError, IndexError) as exc:
        raise InputError(f"{path.name}：不是可读的 XLS 工作簿（{exc}）") from exc
    cells = (tuple(_xls_value(c, book.datemode) for c in sheet.row(r)) for r in range(sheet.nrows))
    header = [str(h).strip() for h in next(cells, ())]
    return Table(header, _keyed(header, _sheet_rows(cells, len(header))), "xls")


def _xls_value(cell: Any, datemode: int) -> Any:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value

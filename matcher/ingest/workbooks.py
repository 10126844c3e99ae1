"""XLSX and XLS workbooks as a `Table`: every sheet with a header (or the one staff name), the header found among
the first rows (`layout.py`), parts measured before they are parsed (`bounded.py`). Spreadsheets are read by the
rows and cells actually present — never by the size a sheet declares."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matcher.errors import InputError
from matcher.ingest.bounded import check_zip
from matcher.ingest.layout import Cells, Layout, Sheet, laid_out
from matcher.ingest.table import Table


def _parse_errors() -> tuple[type[Exception], ...]:
    from xml.etree.ElementTree import ParseError

    from lxml.etree import LxmlError

    found: list[type[Exception]] = [ParseError, LxmlError]
    try:
        from defusedxml import DefusedXmlException

        found.append(DefusedXmlException)
    except ImportError:  # defusedxml is optional to openpyxl
        pass
    return tuple(found)


# what the readers raise on a corrupt, truncated or hostile file (never on purpose): one refusal, never a 500
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError, KeyError, ValueError, TypeError, IndexError, AttributeError, EOFError, zipfile.BadZipFile, zlib.error,
    AssertionError, UnicodeError, OverflowError, RecursionError, MemoryError, NotImplementedError, LookupError,
    struct.error, ArithmeticError,
    *_parse_errors(),
)  # fmt: skip


def cell(value: Any) -> Any:
    """Numbers typed into a spreadsheet as text (an id 1001, a year 2021): whole numbers become strings, which
    the record schema turns back into numbers where it wants them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _chosen(names: list[str], sheet: str | None, file: str) -> list[int]:
    """Indexes of the sheets to read: all, or the one `sheet` names (its name, or its number from 1)."""
    if sheet is None:
        return list(range(len(names)))
    if sheet in names:
        return [names.index(sheet)]
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return [int(sheet) - 1]
    raise InputError(f"{file}：没有名为「{sheet}」的工作表；工作表有：{'、'.join(names)}")


def _numbered(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, Cells]]:
    for number, values in enumerate(rows, start=1):
        yield number, tuple(cell(v) for v in values)


def xlsx_table(path: Path, kind: str, *, max_sheet_bytes: int, header_row: int | None, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    check_zip(path, stream_limit=max_sheet_bytes, name=path.name)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except READ_ERRORS as exc:
        raise InputError(f"{path.name}：不是可读的 XLSX 工作簿（{type(exc).__name__}）") from exc
    sheets = []
    for i in _chosen(book.sheetnames, sheet, path.name):
        ws = book.worksheets[i]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # the rows present, not the range the file declares (A1:XFD1048576)
        sheets.append(Sheet(ws.title, _numbered(ws.iter_rows(values_only=True))))
    return _table(sheets, kind, header_row, "xlsx")


def xls_table(path: Path, kind: str, *, max_sheet_bytes: int, header_row: int | None, sheet: str | None) -> Table:
    import xlrd

    if path.stat().st_size > max_sheet_bytes:
        raise InputError(f"{path.name}：文件超过 {max_sheet_bytes / 1e6:.0f} MB 的上限；请拆分后导入")
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        names = book.sheet_names()
        chosen = [book.sheet_by_index(i) for i in _chosen(names, sheet, path.name)]
    except (xlrd.XLRDError, xlrd.compdoc.CompDocError, *READ_ERRORS) as exc:
        raise InputError(f"{path.name}：不是可读的 XLS 工作簿（{type(exc).__name__}）") from exc
    sheets = [Sheet(ws.name, _xls_rows(ws, book.datemode)) for ws in chosen]
    return _table(sheets, kind, header_row, "xls")


def _xls_rows(ws: Any, datemode: int) -> Iterator[tuple[int, Cells]]:
    for r in range(ws.nrows):
        yield r + 1, tuple(cell(_xls_value(c, datemode)) for c in ws.row(r))


def _xls_value(value: Any, datemode: int) -> Any:
    import xlrd

    if value.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return value.value
    if value.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return value.value


def _table(sheets: list[Sheet], kind: str, header_row: int | None, source: str) -> Table:
    if not sheets:
        raise InputError("工作簿没有工作表")
    layout, notes = Layout(), list[str]()
    header, rows = laid_out(sheets, kind, header_row, layout, notes)
    return Table(header, rows, source, notes=notes)

"""Spreadsheets staff open in Excel: bold frozen header, filters, column widths; CSV as UTF-8 with BOM.

Every cell of every export goes through `safe_cell`, so text that a need or an upload planted can never run as a
formula (OWASP "CSV injection"): a string starting with = + - @ tab or CR is written as text — in XLSX a string
cell with Excel's quote prefix (shown as typed, never evaluated), in CSV prefixed with an apostrophe and quoted.
Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR) are dropped, so no stored text can break a workbook.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


MEDIA = {  # the media type of every file format staff download
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet program could read `text` as a formula (or a DDE call)."""
    return text.startswith(FORMULA_START)


def safe_text(text: str) -> str:
    """`text` without the characters a workbook cannot hold."""
    return _ILLEGAL.sub("", text)


def safe_cell(value: Any) -> Any:
    """A value fit for a CSV cell: text cleaned and, if it could run as a formula, prefixed with an apostrophe."""
    if not isinstance(value, str):
        return value
    text = safe_text(value)
    return "'" + text if is_formula_like(text) else text


def _append(sheet: Any, row: list[Any]) -> None:
    sheet.append([safe_text(v) if isinstance(v, str) else v for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and (cell.data_type == "f" or is_formula_like(cell.value)):
            cell.data_type = "s"  # openpyxl stores "=…" as a formula; text stays text
            cell.quotePrefix = True


def table(sheet: Any, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    """Write a header row and `rows` to `sheet`, header bold and frozen, filters on, columns `widths` wide."""
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(sheet, row)
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"


def csv_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(h) for h in headers])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def book_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

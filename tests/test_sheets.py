"""Exports that cannot attack: no cell of any CSV or XLSX we write can run as a formula, and no stored text can break
a workbook (OWASP CSV injection; XML 1.0's illegal characters)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from matcher.export.sheets import book_bytes, csv_bytes, safe_cell, safe_text, table


def test_safe_cell_by_hand() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell('=HYPERLINK("http://evil.example","x")') == '\'=HYPERLINK("http://evil.example","x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("铸件 =1") == "铸件 =1"
    assert safe_cell("a\x00b\x1bc") == "abc"
    assert safe_cell("\x00=1") == "'=1"  # cleaned first, then judged
    assert safe_cell(-5) == -5 and safe_cell(2.5) == 2.5 and safe_cell(None) is None


def _xlsx(rows: list[list[object]]) -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    table(sheet, ["项目", "内容"], rows, [10, 10])
    return load_workbook(io.BytesIO(book_bytes(book)))


def test_formula_text_stays_text_in_xlsx() -> None:
    sheet = _xlsx([["=cmd|' /C calc'!A0", "+1"], ["正常文本", 3]]).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert [c.data_type for c in cells] == ["s", "s", "s", "n"]
    assert cells[0].value == "=cmd|' /C calc'!A0" and cells[0].quotePrefix  # shown as typed, never evaluated


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=4))
def test_no_exported_cell_is_ever_a_formula(texts: list[str]) -> None:
    sheet = _xlsx([texts]).active
    assert sheet is not None
    row = next(sheet.iter_rows(min_row=2))
    assert all(c.data_type != "f" for c in row)
    assert [c.value or "" for c in row][: len(texts)] == [safe_text(t) for t in texts]
    parsed = list(csv.reader(io.StringIO(csv_bytes(["a"] * len(texts), [texts]).decode("utf-8-sig"))))[1]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in parsed)

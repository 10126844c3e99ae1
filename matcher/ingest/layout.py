"""Sheets as staff lay them out: a title row, blank rows and notes above the header, 合计 and notes rows among the
data, several sheets in one workbook.

The header is the row among the first `SCAN` rows that names the most fields of the record kind (the synonym
tables of `columns.py`; the earliest wins a tie), unless staff say which (`--header-row`). Below it, blank rows,
合计 / 小计 / 总计 rows and notes rows (注：…, 说明：…, 填表说明 …) are skipped and counted, never stored or rejected.
Every sheet whose header names the kind's title field is read (or the one `--sheet` names); a later sheet's
columns that name the same field as the first sheet's are read as that column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from matcher.errors import InputError
from matcher.ingest.columns import TITLE_FIELD, header_key, lookup_of

SCAN = 20
_TOTAL = re.compile(r"^(合计|小计|总计|共计|累计)")
_NOTE = re.compile(r"^(注|备注|说明|填表说明|填报说明|注意|备注说明|附注)\s*[:：\d一二三、.．]")
Cells = tuple[Any, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def skip_reason(values: Cells) -> str | None:
    """Why a row under the header is not a record: 空行, 合计行 or 说明行; None for a record row."""
    texts = [_text(v) for v in values if _text(v)]
    if not texts:
        return "空行"
    if any(_TOTAL.match(t) for t in texts[:3]):
        return "合计行"
    if len(texts) == 1 and _NOTE.match(texts[0]):
        return "说明行"
    return None


def header_score(values: Cells, kind: str) -> tuple[int, bool]:
    """How many distinct fields of `kind` a row's cells name, and whether one is the title field."""
    lookup = lookup_of(kind)
    names = {lookup[k] for v in values if (k := header_key(_text(v))) and k in lookup}
    return len(names), TITLE_FIELD[kind] in names


def find_header(head: list[Cells], kind: str, header_row: int | None) -> int | None:
    """The index in `head` of the header row: `header_row` (1-based) when given, else the best-scoring row that
    names the title field; None when no row does."""
    if header_row is not None:
        if not 1 <= header_row <= len(head):
            raise InputError(f"指定的表头行 {header_row} 超出范围（前 {len(head)} 行）")
        return header_row - 1
    best: tuple[int, int] | None = None
    for i, values in enumerate(head):
        score, titled = header_score(values, kind)
        if titled and (best is None or score > best[0]):
            best = (score, i)
    return None if best is None else best[1]


def header_of(values: Cells) -> list[str]:
    """A header row's names, trailing blanks dropped; a repeated name gets （2）, （3）… so no column is lost
    silently (it maps or is listed as ignored)."""
    header: list[str] = []
    for value in values:
        name, n = _text(value), 2
        while name and name in header:
            name, n = f"{_text(value)}（{n}）", n + 1
        header.append(name)
    while header and not header[-1]:
        header.pop()
    return header


@dataclass
class Layout:
    """What reading the sheets decided: the header row of each sheet read, the sheets skipped, the rows skipped."""

    read: list[str] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    skipped_rows: dict[str, int] = field(default_factory=dict)

    def notes(self, several: bool) -> list[str]:
        found = []
        if several or self.skipped_sheets:
            found.append("读取工作表：" + "、".join(self.read))
        elif self.header_rows and self.header_rows[0] > 1:
            found.append(f"表头在第 {self.header_rows[0]} 行（其上 {self.header_rows[0] - 1} 行不是数据）")
        if self.skipped_sheets:
            found.append("未读取（找不到表头）：" + "、".join(self.skipped_sheets))
        return found

    def skipped_note(self) -> str | None:
        if not self.skipped_rows:
            return None
        return "跳过 " + "、".join(f"{n} 个{why}" for why, n in self.skipped_rows.items())


@dataclass
class Sheet:
    """One sheet's rows as (row number, cells), numbered from 1."""

    name: str
    rows: Iterator[tuple[int, Cells]]


def laid_out(
    sheets: list[Sheet], kind: str, header_row: int | None, layout: Layout, notes: list[str]
) -> tuple[list[str], Iterator[Any]]:
    """The union header and the keyed rows of every sheet with a header (`Row`s: line, dict); when the rows are
    read, how many were skipped is added to `notes`. When no sheet names the title field, the first sheet's
    first non-blank row is the header (the column map then refuses it, or staff map a column with --map)."""
    heads = [list(islice(sheet.rows, SCAN)) for sheet in sheets]
    found = [find_header([values for _, values in head], kind, header_row) for head in heads]
    if all(at is None for at in found) and heads:
        found[0] = next((i for i, (_, values) in enumerate(heads[0]) if skip_reason(values) != "空行"), None)
    header: list[str] = []
    by_field: dict[str, str] = {}
    parts: list[Iterator[Any]] = []
    lookup = lookup_of(kind)
    for sheet, head, at in zip(sheets, heads, found, strict=True):
        if at is None:
            layout.skipped_sheets.append(sheet.name)
            continue
        number, values = head[at]
        renamed = []
        for h in header_of(values):
            name = lookup.get(header_key(h))
            first = by_field.setdefault(name, h) if name else h
            renamed.append(first)
            if first not in header:
                header.append(first)
        layout.read.append(f"{sheet.name}（表头第 {number} 行）")
        layout.header_rows.append(number)
        parts.append(_records(renamed, chain(head[at + 1 :], sheet.rows), layout, sheet.name, len(sheets) > 1))
    notes.extend(layout.notes(len(sheets) > 1))
    return header, chain(chain.from_iterable(parts), _noted(layout, notes))


def _noted(layout: Layout, notes: list[str]) -> Iterator[Any]:
    note = layout.skipped_note()
    if note:
        notes.append(note)
    yield from ()


def _records(
    header: list[str], rows: Iterator[tuple[int, Cells]], layout: Layout, name: str, tag: bool
) -> Iterator[Any]:
    width = len(header)
    for number, values in rows:
        why = skip_reason(values[:width])
        if why is not None:
            if why != "空行":
                layout.skipped_rows[why] = layout.skipped_rows.get(why, 0) + 1
            continue
        row = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if tag:
            row["_sheet"] = name
        yield number, row

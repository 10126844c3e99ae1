"""Need forms (企业技术需求表) collected on visits: a `.docx` whose tables hold label / value cells (需求名称 | …,
企业名称 | …, 需求内容 | …, 预期目标 | …, 联系人 | …), read as one row keyed by its labels; a folder or a `.zip`
of forms is read as one row per form (file order by name). The labels then map like spreadsheet headers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matcher.errors import InputError
from matcher.ingest.columns import header_key
from matcher.ingest.table import Row, RowError, Table

MAX_FORMS = 5_000
MAX_FORM_BYTES = 20_000_000


def _cells(document: Any) -> list[str]:
    """Every table cell's text in reading order, a merged cell once."""
    found: list[str] = []
    for table in document.tables:
        for row in table.rows:
            seen: set[int] = set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                    continue
                seen.add(id(cell._tc))
                found.append(cell.text.strip())
    return found


def form_fields(data: bytes, labels: set[str]) -> dict[str, str]:
    """Label → value of one form: a cell whose text is a known label takes the next cell's text as its value."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"不是可读的 Word（.docx）表格：{exc}") from exc
    cells, found = _cells(document), {}
    for i, text in enumerate(cells[:-1]):
        if header_key(text) in labels and text not in found and header_key(cells[i + 1]) not in labels:
            found[text.strip().rstrip("：:")] = cells[i + 1]
    return found


def _sources(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every .docx in a folder or a .zip, or the one file."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.docx") if not p.name.startswith("~$"))
        for p in files[:MAX_FORMS]:
            yield p.name, p.read_bytes()
        return
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist() if n.lower().endswith(".docx") and "/~$" not in n)
                for name in names[:MAX_FORMS]:
                    if archive.getinfo(name).file_size > MAX_FORM_BYTES:
                        raise InputError(f"{name}：单个表格超过 {MAX_FORM_BYTES // 1_000_000} MB")
                    yield name, archive.read(name)
        except zipfile.BadZipFile as exc:
            raise InputError(f"{path.name}：不是可读的 zip 文件（{exc}）") from exc
        return
    yield path.name, path.read_bytes()


def form_table(path: Path, labels: set[str]) -> Table:
    """The forms at `path` as a table: one row per form, headers the labels found (first-seen order)."""
    rows: list[Row] = []
    headers: dict[str, None] = {}
    for number, (name, data) in enumerate(_sources(path), 1):
        try:
            fields = form_fields(data, labels)
        except InputError as exc:
            rows.append((number, RowError(f"{name}：{exc}", name)))
            continue
        if not fields:
            rows.append((number, RowError(f"{name}：表格中没有可识别的栏目（如 需求名称、需求内容）", name)))
            continue
        headers.update(dict.fromkeys(fields))
        rows.append((number, {**fields, "_source": name}))
    if not rows:
        raise InputError(f"{path.name}：没有找到 .docx 需求表")
    return Table(list(headers), iter(rows), "docx", notes=[f"{len(rows)} 份需求表"])

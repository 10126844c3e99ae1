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
from matcher.ingest.bounded import check_zip
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


def form_fields(data: bytes, labels: set[str], *, max_bytes: int = MAX_FORM_BYTES) -> dict[str, str]:
    """Label → value of one form: a cell whose text is a known label takes the next cell's text as its value. Its
    parts are measured before python-docx parses them."""
    import docx
    from lxml.etree import LxmlError

    check_zip(data, stream_limit=max_bytes, name="表格")
    try:
        document = docx.Document(io.BytesIO(data))
    except (ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile, LxmlError) as exc:
        raise InputError(f"不是可读的 Word（.docx）表格（{type(exc).__name__}）") from exc
    cells, found = _cells(document), {}
    for i, text in enumerate(cells[:-1]):
        if header_key(text) in labels and text not in found and header_key(cells[i + 1]) not in labels:
            found[text.strip().rstrip("：:")] = cells[i + 1]
    return found


Source = tuple[str, bytes | str]  # a form's name, and its bytes or why it is not read


def _sources(path: Path, max_bytes: int) -> Iterator[Source]:
    """(name, bytes) of every .docx in a folder or a .zip, or the one file; a form beyond `MAX_FORMS` or larger
    than `MAX_FORM_BYTES` comes with the reason it is not read, the rest are still read."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.docx") if not p.name.startswith("~$"))
        for i, p in enumerate(files):
            yield p.name, _refusal(i, p.stat().st_size) or p.read_bytes()
        return
    if path.suffix.lower() != ".zip":
        yield path.name, path.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as archive:
            infos = sorted((i for i in archive.infolist() if i.filename.lower().endswith(".docx")
                            and "~$" not in i.filename), key=lambda i: i.filename)  # fmt: skip
            for i, info in enumerate(infos):
                refused = _refusal(i, info.file_size)
                yield info.filename, refused or _member(archive, info)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path.name}：不是可读的 zip 文件（{exc}）") from exc
    del max_bytes


def _refusal(index: int, size: int) -> str | None:
    if index >= MAX_FORMS:
        return f"超过一次 {MAX_FORMS} 份的上限，未读取；请分批上传"
    if size > MAX_FORM_BYTES:
        return f"单个表格超过 {MAX_FORM_BYTES // 1_000_000} MB，未读取"
    return None


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | str:
    try:
        with archive.open(info) as member:
            data = member.read(MAX_FORM_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        return f"压缩内容已损坏（{type(exc).__name__}）"
    return data if len(data) <= MAX_FORM_BYTES else f"单个表格超过 {MAX_FORM_BYTES // 1_000_000} MB，未读取"


def form_table(path: Path, labels: set[str], *, max_bytes: int = MAX_FORM_BYTES) -> Table:
    """The forms at `path` as a table: one row per form, headers the labels found (first-seen order); a form that
    cannot be read is one rejected row, the others are imported."""
    rows: list[Row] = []
    headers: dict[str, None] = {}
    for number, (name, data) in enumerate(_sources(path, max_bytes), 1):
        if isinstance(data, str):
            rows.append((number, RowError(f"{name}：{data}", name)))
            continue
        try:
            fields = form_fields(data, labels, max_bytes=min(max_bytes, MAX_FORM_BYTES * 5))
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
    if path.is_file() and path.suffix.lower() == ".docx" and isinstance(rows[0][1], RowError):
        raise InputError(rows[0][1].reason)  # one form that cannot be read: the file is refused, saying why
    return Table(list(headers), iter(rows), "docx", notes=[f"{len(rows)} 份需求表"])

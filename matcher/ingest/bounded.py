"""Compressed files are measured before they are parsed: every member of a zip (an XLSX's worksheets whatever
their names, its shared strings, a .docx body, the forms of a .zip, a zip inside a zip) is checked by the size it
declares uncompressed, and by the size it really inflates to, against `limit` (one part) and `total` (all parts)
— so a 200 KB file that inflates to gigabytes is refused before any parser holds it in memory."""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO

from matcher.errors import InputError

log = logging.getLogger(__name__)

CHUNK = 1 << 16
NESTED = (".zip", ".docx", ".xlsx")
MAX_DEPTH = 2
MAX_PART_BYTES = 10_000_000  # a part parsed whole (a .docx body, shared strings, styles): about 20× this in RAM
_STREAMED = re.compile(r"^xl/(worksheets|chartsheets)/[^/]+\.xml$", re.I)  # read row by row, any name


def limit_of(filename: str, *, stream_limit: int, part_limit: int = MAX_PART_BYTES) -> int:
    """The largest a member may inflate to: a worksheet is streamed; anything else is parsed whole."""
    return stream_limit if _STREAMED.match(filename) or filename.lower().endswith(NESTED) else part_limit


def _inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> int:
    """How many bytes `info` inflates to, reading at most `limit` + 1 of them (the declared size may lie)."""
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
    return size


def check_zip(
    source: Path | bytes, *, stream_limit: int, name: str, part_limit: int = MAX_PART_BYTES, depth: int = 0
) -> None:
    """Refuse (InputError, in Chinese) a zip any part of which inflates beyond its limit (`limit_of`), or all its
    parts beyond `stream_limit`; zips inside it are checked the same way."""
    total = stream_limit
    handle: IO[bytes] | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(handle) as archive:
            seen = 0
            for info in archive.infolist():
                if info.is_dir():
                    continue
                limit = limit_of(info.filename, stream_limit=stream_limit, part_limit=part_limit)
                declared = info.file_size
                real = declared if declared > limit else _inflated(archive, info, limit)
                if max(declared, real) > limit:
                    where = f"{name}：其中 {info.filename}"
                    raise InputError(f"{where} 解压后超过 {limit / 1e6:.0f} MB 的上限；请拆分后导入")
                seen += real
                if seen > total:
                    raise InputError(f"{name}：解压后总计超过 {total / 1e6:.0f} MB 的上限；请拆分后导入")
                if info.filename.lower().endswith(NESTED) and depth < MAX_DEPTH:
                    check_zip(archive.read(info), stream_limit=stream_limit, part_limit=part_limit,
                              name=f"{name}/{info.filename}", depth=depth + 1)  # fmt: skip
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        log.info("%s: unreadable archive: %s", name, exc)  # the library's words stay in the log
        raise InputError(f"{name}：文件已损坏或不是所选的格式，无法读取") from exc

"""Read rows from JSON Lines, CSV or XLSX files as (line number, dict) pairs.

A line that cannot be decoded becomes a `RowError` so the importer can reject it and carry on.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from matcher.errors import InputError


@dataclass(frozen=True)
class RowError:
    reason: str
    raw: str


Row = tuple[int, dict[str, Any] | RowError]


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="strict")
    return path.open(encoding="utf-8-sig", errors="strict", newline="")


def _format(path: Path) -> str:
    suffixes = [s for s in path.suffixes if s != ".gz"]
    fmt = suffixes[-1].lstrip(".").lower() if suffixes else ""
    if fmt in {"jsonl", "ndjson", "json"}:
        return "jsonl"
    if fmt in {"csv", "tsv", "xlsx"}:
        return fmt
    raise InputError(f"{path}: unknown file type {fmt or '(none)'!r}; use .jsonl, .csv, .tsv or .xlsx")


def read_rows(path: Path) -> Iterator[Row]:
    """Yield (line number, row) for every data row of `path`."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    fmt = _format(path)
    if fmt == "xlsx":
        yield from _xlsx_rows(path)
        return
    try:
        with _open_text(path) as handle:
            yield from (_jsonl_rows(handle) if fmt == "jsonl" else _csv_rows(handle, fmt))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _jsonl_rows(handle: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError(f"invalid JSON: {exc.msg} (column {exc.colno})", line.rstrip("\n"))
            continue
        if isinstance(value, dict):
            yield number, value
        else:
            yield number, RowError("a line must hold one JSON object", line.rstrip("\n"))


def _csv_rows(handle: IO[str], fmt: str) -> Iterator[Row]:
    reader = csv.DictReader(handle, delimiter="\t" if fmt == "tsv" else ",")
    for row in reader:
        clean = {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
        yield reader.line_num, clean


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).active
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    if sheet is None:
        raise InputError(f"{path}: workbook has no sheet")
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        row = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if row:
            yield number, row

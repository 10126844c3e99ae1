"""Read rows from JSON Lines, CSV or XLSX files as (line number, dict) pairs.

A line that cannot be decoded (not UTF-8, not JSON, a CSV row wider than its header) becomes a `RowError` with its
true line number, so the importer rejects that row and carries on with the next.
"""

from __future__ import annotations

import csv
import gzip
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from matcher.errors import InputError


@dataclass(frozen=True)
class RowError:
    reason: str
    raw: str


Row = tuple[int, dict[str, Any] | RowError]


def _open_binary(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")


@dataclass
class _Lines:
    """Physical lines of a byte stream decoded one by one as UTF-8; undecodable ones are remembered and
    replaced (so CSV parsing goes on and the row holding them is rejected)."""

    handle: IO[bytes]
    bad: dict[int, str]
    number: int = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.handle:
            self.number += 1
            if self.number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.bad[self.number] = f"not UTF-8 text ({exc.reason} at byte {exc.start} of line {self.number})"
                yield raw.decode("utf-8", errors="replace")


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
    with _open_binary(path) as handle:
        lines = _Lines(handle, {})
        yield from (_jsonl_rows(lines) if fmt == "jsonl" else _csv_rows(lines, fmt))


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
            yield number, RowError(f"invalid JSON: {exc.msg} (column {exc.colno})", line.rstrip("\n"))
            continue
        except ValueError as exc:
            yield number, RowError(f"invalid JSON: {exc}", line.rstrip("\n"))
            continue
        if isinstance(value, dict):
            yield number, value
        else:
            yield number, RowError("a line must hold one JSON object", line.rstrip("\n"))


def _csv_rows(lines: _Lines, fmt: str) -> Iterator[Row]:
    reader = csv.DictReader(iter(lines), delimiter="\t" if fmt == "tsv" else ",")
    first = 2  # the header is line 1
    for row in reader:
        span, first = range(first, reader.line_num + 1), reader.line_num + 1
        bad = next((lines.bad[n] for n in span if n in lines.bad), None)
        if bad or None in row:
            extra = len(row.get(None) or [])
            reason = bad or f"{extra} more field(s) than the header (an unquoted comma or tab?)"
            yield span.start, RowError(reason, json.dumps({k: v for k, v in row.items() if k}, ensure_ascii=False))
            continue
        clean = {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
        yield span.start, clean


def _cell(value: Any) -> Any:
    """Numbers typed into a spreadsheet as text (an id 1001, a year 2021): whole numbers become strings, which
    the record schema turns back into numbers where it wants them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


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
        row = {h: _cell(v) for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if row:
            yield number, row

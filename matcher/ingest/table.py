"""What a reader hands the importer: the file's headers and its rows, each a dict or the reason it is unreadable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    reason: str
    raw: str


Row = tuple[int, dict[str, Any] | RowError]


@dataclass
class Table:
    """A file as rows: `headers` in file order (what the column map reads), `rows` as (line number, row), `source`
    the format read (`jsonl`, `csv`, `xlsx`, `ris`, `docx` …). `keyed` rows already use the record's field names
    (JSONL, reference exports), so their headers map to themselves."""

    headers: list[str]
    rows: Iterator[Row]
    source: str
    keyed: bool = False
    notes: list[str] = field(default_factory=list)  # what the reader decided (an encoding, a sheet), for the summary

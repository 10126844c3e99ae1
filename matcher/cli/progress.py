"""The CLI's own progress helper: a cheap row count for an import's bar (bars themselves: `matcher/progress.py`)."""

from __future__ import annotations

from pathlib import Path

from matcher.ingest.formats import format_of


def count_lines(path_text: str) -> int | None:
    """Data rows in a plain JSONL, CSV or TSV file (a cheap total for the bar); None for other formats."""
    path = Path(path_text)
    fmt = format_of(path) if path.is_file() else None
    if fmt not in ("jsonl", "csv", "tsv") or path.suffix == ".gz":
        return None
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if fmt != "jsonl" else lines

"""Progress bars for long CLI work (rich), silent when output is not a terminal and --quiet is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from matcher.ingest.formats import format_of

err_console = Console(stderr=True)


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """Yield (advance(n), set_total(n)) callbacks bound to one bar on stderr."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(label, total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)

        def set_total(n: int) -> None:
            progress.update(task, total=n)

        yield advance, set_total


def count_lines(path_text: str) -> int | None:
    """Data rows in a plain JSONL, CSV or TSV file (a cheap total for the bar); None for other formats."""
    path = Path(path_text)
    fmt = format_of(path) if path.is_file() else None
    if fmt not in ("jsonl", "csv", "tsv") or path.suffix == ".gz":
        return None
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if fmt != "jsonl" else lines

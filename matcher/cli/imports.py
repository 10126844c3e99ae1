"""`matcher import KIND FILE` (staff files as they are: columns mapped, ids derived, rejects written) and
`matcher experts merges` (why references were folded into one expert)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.progress import count_lines
from matcher.cli.snapshot import make_searchable
from matcher.cli.state import console, open_session, open_workspace
from matcher.errors import InputError
from matcher.ingest.columns import parse_overrides
from matcher.ingest.formats import HELP
from matcher.ingest.importer import preview
from matcher.progress import progress_bar
from matcher.services.catalog import list_merges
from matcher.workspace import data

import_app = typer.Typer(help=f"Import records into the workspace. Formats: {HELP}", no_args_is_help=True)
experts_app = typer.Typer(help="Experts: the merges imports made.", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(help=f"File (or folder of .docx forms) to import: {HELP}")]
RejectsOpt = Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejects.jsonl).")]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="列名=field: use this column as that field (- ignores it); repeatable."),
]
IMPORT_HELP = {
    "needs": "Import enterprise needs: staff sheets (需求名称, 需求描述, 企业名称 …), .docx need forms, JSONL.",
    "outcomes": "Import outcomes: patent lists, paper exports (RIS, EndNote, NoteExpress, RefWorks), outcome sheets.",
    "experts": "Import experts (姓名, 单位, 职称, 研究方向, 地区 …).",
    "institutions": "Import institutions (单位名称, 类型, 地区, 简称, 所属集团 …).",
}


def run_import(kind: str, path: Path, rejects: Path | None, mapping: list[str] | None = None) -> None:
    matcher = open_workspace()
    overrides = parse_overrides(mapping or [])
    missing = [h for h in overrides if h not in preview(path, kind, mapping=overrides, rows=0).headers]
    if missing:
        raise InputError(f"--map 指定的列不在文件中：{'、'.join(missing)}")
    total = count_lines(str(path)) if path.is_file() else None
    with progress_bar(f"import {kind}", total) as (advance, _):
        report = data.import_file(matcher, kind, path, rejects_path=rejects, progress=advance, mapping=overrides)
    if report.mapping:
        used = ", ".join(f"{column}→{name}" for column, name in report.mapping.items())
        console.print(f"columns: {used}" + (f"; ignored: {', '.join(report.ignored)}" if report.ignored else ""))
    if report.notes:
        console.print(f"read: {report.source} ({'; '.join(report.notes)})")
    merged = f", merged {report.merged} experts (see `matcher experts merges`)" if report.merged else ""
    console.print(
        f"{kind}: [green]{report.accepted} accepted[/green], "
        f"{'[red]' if report.rejected else ''}{report.rejected} rejected{merged}"
    )
    if report.rejects_path:
        console.print(f"rejected rows with line numbers and reasons: {report.rejects_path}")
        for reason, n in sorted(report.reasons.items(), key=lambda kv: -kv[1])[:5]:
            console.print(f"  {n} × {reason}")
    if report.accepted == 0:
        raise InputError(f"{path.name}：没有导入任何记录（{report.rejected} 行被拒，原因见上）")


IndexOpt = Annotated[
    bool, typer.Option("--index/--no-index", help="Bring the search index up to the new records at the end.")
]


def _import_command(kind: str) -> None:
    def command(path: FileArg, rejects: RejectsOpt = None, map_: MapOpt = None, index: IndexOpt = True) -> None:
        run_import(kind, path, rejects, map_)
        if index:
            make_searchable()

    command.__doc__ = IMPORT_HELP[kind]
    import_app.command(kind)(command)


for _kind in IMPORT_HELP:
    _import_command(_kind)


@experts_app.command("merges")
def merges(limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50) -> None:
    """List the references imports folded into existing experts, with the file and the reason."""
    with open_session() as session:
        rows = list_merges(session, limit=limit)
    table = Table("专家", "编号", "文件中写作", "文件", "原因", title=f"{len(rows)} merges")
    for r in rows:
        table.add_row(
            r["expert"], r["expert_id"], f"{r['written']} / {r['institution'] or '—'}", r["source"], r["reason"]
        )
    console.print(table)

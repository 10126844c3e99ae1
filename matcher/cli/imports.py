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
from matcher.ingest.importer import Layout, preview
from matcher.progress import progress_bar
from matcher.services.catalog import list_merges
from matcher.services.merges import confirm_duplicate, list_duplicates, reject_duplicate, unmerge
from matcher.workspace import data

import_app = typer.Typer(help=f"Import records into the workspace. Formats: {HELP}", no_args_is_help=True)
experts_app = typer.Typer(help="Experts: the merges imports made, possible duplicates, undo.", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(help=f"File (or folder of .docx forms) to import: {HELP}")]
RejectsOpt = Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejects.jsonl).")]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="列名=field: use this column as that field (- ignores it); repeatable."),
]
ClearOpt = Annotated[
    bool, typer.Option("--clear-empty", help="An empty cell clears its field (default: it changes nothing).")
]
HeaderOpt = Annotated[int | None, typer.Option("--header-row", min=1, help="The header is this row (from 1).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Read only this sheet (its name, or its number from 1).")]
COUNTS_ZH = {
    "created": "新建",
    "updated": "更新",
    "unchanged": "未变",
    "merged": "合并",
    "duplicates": "重复",
    "possible_duplicates": "疑似重复",
    "rejected": "拒绝",
}
IMPORT_HELP = {
    "needs": "Import enterprise needs: staff sheets (需求名称, 需求描述, 企业名称 …), .docx need forms, JSONL.",
    "outcomes": "Import outcomes: patent lists, paper exports (RIS, EndNote, NoteExpress, RefWorks), outcome sheets.",
    "experts": "Import experts (姓名, 单位, 职称, 研究方向, 地区 …).",
    "institutions": "Import institutions (单位名称, 类型, 地区, 简称, 所属集团 …).",
}


def print_rejects(rejects_path: Path | str | None, reasons: dict[str, int]) -> None:
    """Where the rejected rows went and the five most common reasons."""
    if rejects_path:
        console.print(f"rejected rows with line numbers and reasons: {rejects_path}")
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:5]:
            console.print(f"  {n} × {reason}")


def run_import(
    kind: str,
    path: Path,
    rejects: Path | None,
    mapping: list[str] | None = None,
    clear_empty: bool = False,
    layout: Layout | None = None,
) -> None:
    matcher = open_workspace()
    overrides = parse_overrides(mapping or [])
    found = preview(path, kind, mapping=overrides, rows=0, layout=layout).headers
    missing = [h for h in overrides if h not in found]
    if missing:
        raise InputError(f"--map 指定的列不在文件中：{'、'.join(missing)}")
    total = count_lines(str(path)) if path.is_file() else None
    with progress_bar(f"import {kind}", total) as (advance, _):
        report = data.import_file(
            matcher,
            kind,
            path,
            rejects_path=rejects,
            progress=advance,
            mapping=overrides,
            clear_empty=clear_empty,
            actor="命令行",
            layout=layout,
        )
    if report.mapping:
        used = ", ".join(f"{column}→{name}" for column, name in report.mapping.items())
        console.print(f"columns: {used}" + (f"; ignored: {', '.join(report.ignored)}" if report.ignored else ""))
    if report.notes:
        console.print(f"read: {report.source} ({'; '.join(report.notes)})")
    counted = "，".join(f"{COUNTS_ZH[k]} {report.counts.get(k, 0)}" for k in COUNTS_ZH)
    console.print(f"{kind}: {counted}；与已存记录相符 {report.matched_stored()} 行")
    if report.merged or report.counts.get("possible_duplicates"):
        console.print("合并与疑似重复：`matcher experts merges`、`matcher experts duplicates`")
    print_rejects(report.rejects_path, report.reasons)
    if report.accepted == 0:
        raise InputError(f"{path.name}：没有导入任何记录（{report.rejected} 行被拒，原因见上）")


IndexOpt = Annotated[
    bool, typer.Option("--index/--no-index", help="Bring the search index up to the new records at the end.")
]


def _import_command(kind: str) -> None:
    def command(
        path: FileArg,
        rejects: RejectsOpt = None,
        map_: MapOpt = None,
        clear_empty: ClearOpt = False,
        header_row: HeaderOpt = None,
        sheet: SheetOpt = None,
        index: IndexOpt = True,
    ) -> None:
        run_import(kind, path, rejects, map_, clear_empty, Layout(header_row, sheet))
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
    table = Table("合并", "专家", "编号", "文件中写作", "文件", "方向与依据", title=f"{len(rows)} merges")
    for r in rows:
        table.add_row(
            str(r["pk"]) + ("（已撤销）" if r["undone"] else ""),
            r["expert"],
            r["expert_id"],
            f"{r['written']} / {r['institution'] or '—'}",
            r["source"],
            f"{r['direction'] or ''} {r['reason']}",
        )
    console.print(table)


@experts_app.command("unmerge")
def unmerge_command(
    merge: Annotated[int, typer.Argument(help="The merge number `matcher experts merges` shows.")],
) -> None:
    """Undo a merge: the kept expert gets its values back, the merged one is an expert again with its outcomes."""
    matcher = open_workspace()
    with open_session(write=True, ctx=matcher) as session:
        done = unmerge(session, pk=merge, actor="命令行")
    console.print(
        f"已撤销合并 {merge}：{done['kept']} 与 {done['restored']} 重新分开（{done['outcomes']} 项成果随之移回）"
    )


@experts_app.command("duplicates")
def duplicates_command(limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50) -> None:
    """List possible duplicates (same name and unit, nothing agreeing) for staff to confirm or reject."""
    with open_session() as session:
        rows = list_duplicates(session, limit=limit)
    table = Table("编号", "专家", "另一条", "原因", "文件", title=f"{len(rows)} 条疑似重复")
    for r in rows:
        first, other = r["expert"], r["other"]
        table.add_row(
            str(r["pk"]),
            f"{first['name']}（{first['id']}）",
            f"{other['name']}（{other['id']}）",
            r["reason"],
            r["source"],
        )
    console.print(table)


@experts_app.command("confirm")
def confirm_command(pk: Annotated[int, typer.Argument(help="The number `matcher experts duplicates` shows.")]) -> None:
    """Confirm a possible duplicate: one person, merged (undo with `matcher experts unmerge`)."""
    with open_session(write=True) as session:
        done = confirm_duplicate(session, pk=pk, actor="命令行")
    console.print(f"已合并：{done['removed']} 并入 {done['kept']}（合并记录 {done['merge']}）")


@experts_app.command("reject")
def reject_command(pk: Annotated[int, typer.Argument(help="The number `matcher experts duplicates` shows.")]) -> None:
    """Reject a possible duplicate: two people, kept apart."""
    with open_session(write=True) as session:
        reject_duplicate(session, pk=pk)
    console.print(f"疑似重复 {pk}：已确认为两人，分开保存")

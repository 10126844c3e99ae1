"""The 对接台账 on the command line: `matcher import engagements FILE` (a 台账 sheet in), `matcher followups`
(what is due or overdue, per owner; CSV and .ics files) and `matcher report progress` (the period's 统计报表)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.imports import print_rejects
from matcher.cli.state import console, open_session, open_workspace
from matcher.errors import InputError
from matcher.export.followups import followups_csv, followups_ics, status_zh
from matcher.ingest.columns import parse_overrides
from matcher.report.ledger import Scope
from matcher.report.progress import COUNT_ZH, COUNTS, parse_day, progress_report
from matcher.report.workbook import progress_html, progress_xlsx
from matcher.services import engagements as svc
from matcher.workspace import data

report_app = typer.Typer(help="Reports for the science bureau: the 对接 progress of a period.", no_args_is_help=True)
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Only this owner's engagements (a staff user name).")]


def import_engagements(
    path: Annotated[Path, typer.Argument(help="The 台账 sheet (xlsx, xls, csv): 需求名称, 对接单位, 当前阶段 …")],
    rejects: Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejects.jsonl).")] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="列名=field: use this column as that field (- ignores it).")
    ] = None,
    who: Annotated[str, typer.Option(help="Recorded as who entered the rows.")] = "import",
) -> None:
    """Import a 对接台账 (需求名称, 需求企业, 对接单位, 对接专家, 当前阶段, 阶段日期, 合同类型, 合同金额（万元）,
    合同登记号, 负责人 …): needs found by title or created, partners resolved by name, stages and contracts
    recorded; a re-run changes nothing."""
    matcher = open_workspace()
    mapping = parse_overrides(map_ or [])
    report = data.import_engagements(matcher, path, actor=who, mapping=mapping, rejects_path=rejects)
    console.print("columns: " + ", ".join(f"{c}→{f}" for c, f in report.mapping.items())
                  + (f"; ignored: {', '.join(report.ignored)}" if report.ignored else ""))  # fmt: skip
    console.print(
        f"engagements: [green]{report.accepted} rows recorded[/green] ({report.unchanged} unchanged), "
        f"{report.rejected} rejected; new needs {report.needs_created}, new partners {report.partners_created}, "
        f"contracts {report.contracts}"
    )
    print_rejects(report.rejects_path, report.reasons)
    if report.accepted == 0:
        raise InputError(f"{path.name}：没有导入任何对接记录（{report.rejected} 行被拒）")


def followups(
    owner: OwnerOpt = None,
    within: Annotated[int, typer.Option(min=0, max=366, help="Due within this many days (overdue always).")] = 7,
    today: Annotated[str | None, typer.Option(help="Count from this day (YYYY-MM-DD) instead of today.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write the list as CSV here.")] = None,
    ics_out: Annotated[
        Path | None, typer.Option("--ics", help="Also write a calendar (.ics) of every due action.")
    ] = None,
) -> None:
    """List the engagements whose next action is due or overdue, per owner (我的跟进)."""
    day = parse_day(today, "--today ") if today else date.today()
    with open_session() as session:
        found = svc.followups(session, today=day, within=within, owner=owner)
        items = list(zip(svc.describe(session, [f.engagement for f in found]), [f.days for f in found], strict=True))
        if ics_out:
            rows = [r for r in svc.list_engagements(session, owner=owner, limit=5000)
                    if r.due_date and r.stage != "rejected"]  # fmt: skip
            ics_out.write_bytes(followups_ics(svc.describe(session, rows), name=f"对接跟进 · {owner or '全部'}"))
    table = Table(
        "状态", "到期日", "负责人", "下一步", "需求", "对接对象", "阶段", "记录", title=f"{len(items)} 项待跟进"
    )
    for e, days in items:
        table.add_row(status_zh(days), str(e["due_date"]), e["owner"] or "—", e["next_action"] or "—",
                      e["need_title"], e["target_name"] or e["target_id"], e["stage_zh"], str(e["id"]))  # fmt: skip
    console.print(table)
    if csv_out:
        csv_out.write_bytes(followups_csv(items))
        console.print(f"CSV → {csv_out}")
    if ics_out:
        console.print(f"calendar → {ics_out}")


@report_app.command("progress")
def progress(
    start: Annotated[str, typer.Option("--from", help="First day of the period (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day of the period (YYYY-MM-DD), included.")],
    region: Annotated[str | None, typer.Option(help="Only needs of this region.")] = None,
    field: Annotated[str | None, typer.Option(help="Only needs of this field.")] = None,
    institution: Annotated[
        str | None, typer.Option(help="Only engagements with a partner of this institution.")
    ] = None,
    owner: OwnerOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Write it to a file: .xlsx (one sheet per dimension), .html (printable) or .json."),
    ] = None,
) -> None:
    """The period's 统计报表: needs collected, matched, contacted, met, intention, signed, rejected; contracts and
    their amount; the funnel with median days; top institutions and experts by signed contracts."""
    scope = Scope(parse_day(start, "--from "), parse_day(end, "--to "), region=region, field=field,
                  institution=institution, owner=owner)  # fmt: skip
    if out and out.suffix.lower() not in (".xlsx", ".html", ".json"):
        raise InputError(f"--out 须为 .xlsx、.html 或 .json 文件：{out.name}")
    with open_session() as session:
        report = progress_report(session, scope=scope)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if out:
        suffix = out.suffix.lower()
        data = progress_xlsx(report) if suffix == ".xlsx" else (progress_html(report) if suffix == ".html" else text)
        out.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    if as_json:
        sys.stdout.write(text + "\n")
        return
    for note in report["notes"]:
        console.print(f"[yellow]{note}[/yellow]")
    table = Table("指标", "数值", title=f"{scope.start} 至 {scope.end}")
    for name in (*COUNTS, "contracts", "contract_amount_wan"):
        table.add_row(COUNT_ZH[name], f"{report[name]:g}" if isinstance(report[name], float) else str(report[name]))
    console.print(table)
    if out:
        console.print(f"report → {out}")

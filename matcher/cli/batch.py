"""`matcher batch`: nightly matching runs with constraints — run, resume, watch, cancel, diff, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from matcher.assign import BatchParams, execute, start_once, start_run
from matcher.assign import resume as resume_run
from matcher.assign.compare import diff_runs
from matcher.assign.exclusions import add_exclusion, list_exclusions, remove_exclusion
from matcher.assign.runs import cancel_run, get_run, list_runs, run_summary
from matcher.cli.state import console, open_session, open_workspace
from matcher.export.batch import FORMATS, render
from matcher.progress import progress_bar
from matcher.store.tables import Expert, Need
from matcher.workspace.context import Context

batch_app = typer.Typer(
    help="Nightly batch matching: proposals for every open need, under constraints.", no_args_is_help=True
)
RunArg = Annotated[str, typer.Argument(help="Run id (see `matcher batch list`) or `latest`.")]
DEFAULTS = BatchParams()


def _execute(matcher: Context, run_id: str, *, again: bool = False, ray: str | None = None) -> None:
    with open_session(ctx=matcher) as session:
        run_id = get_run(session, run_id=run_id).id  # an unknown id fails here, before any progress bar
    console.print(f"run [bold]{run_id}[/bold]")
    with progress_bar("score needs") as (advance, set_total):
        seen = [0]

        def progress(done: int, total: int) -> None:
            set_total(total)
            advance(done - seen[0])
            seen[0] = done

        (resume_run if again else execute)(matcher, run_id, progress=progress, ray=ray)
    _show(matcher, run_id)


RayOpt = Annotated[
    str | None,
    typer.Option("--ray", help="Score the needs as Ray tasks: a cluster ADDRESS (auto, ray://…) or local."),
]


def _limit(name: str) -> Any:
    """The option of one BatchParams field: its description is the help text."""
    return typer.Option(help=BatchParams.model_fields[name].description)


@batch_app.command("run")
def run(
    needs: Annotated[str, _limit("needs")] = DEFAULTS.needs,
    per_need: Annotated[int, _limit("per_need")] = DEFAULTS.per_need,
    alternates: Annotated[int, _limit("alternates")] = DEFAULTS.alternates,
    expert_capacity: Annotated[int, _limit("expert_capacity")] = DEFAULTS.expert_capacity,
    institution_capacity: Annotated[int | None, _limit("institution_capacity")] = DEFAULTS.institution_capacity,
    max_per_institution: Annotated[int, _limit("max_per_institution")] = DEFAULTS.max_per_institution,
    region_bonus: Annotated[float, _limit("region_bonus")] = DEFAULTS.region_bonus,
    candidates: Annotated[int, _limit("candidates")] = DEFAULTS.candidates,
    ray: RayOpt = None,
    once: Annotated[
        str | None,
        typer.Option(
            help="Start the run only once under this name on every host sharing the database (nightly on each "
            'replica: --once "$(date +%F)"); a host that finds it started says so and leaves it.'
        ),
    ] = None,
) -> None:
    """Start a run: score every selected need, solve the assignment, store proposals (resumable). An expert's own
    capacity overrides --expert-capacity."""
    params = BatchParams.create(**{k: v for k, v in locals().items() if k in BatchParams.model_fields})
    matcher = open_workspace()
    if once is None:
        _execute(matcher, start_run(matcher, params), ray=ray)
        return
    run_id, new = start_once(matcher, params, start_key=once)
    if not new:
        console.print(f"本批次（{once}）已由另一台主机或先前的调用开始，编号 {run_id}；此处不再重复执行。")
        return
    _execute(matcher, run_id, ray=ray)


@batch_app.command("resume")
def resume(run_id: RunArg, ray: RayOpt = None) -> None:
    """Continue a run that was killed, failed or cancelled, from where it stopped."""
    _execute(open_workspace(), run_id, again=True, ray=ray)


@batch_app.command("cancel")
def cancel(run_id: RunArg) -> None:
    """Stop a run after its current need (resume continues it)."""
    with open_session(write=True) as session:
        cancel_run(session, run_id=run_id)
    console.print(f"run {run_id} cancelled")


@batch_app.command("list")
def list_(limit: Annotated[int, typer.Option(help="How many recent runs.")] = 20) -> None:
    """Recent runs with status and counts."""
    table = Table("run", "status", "needs", "proposals", "unserved", "created", "finished")
    with open_session() as session:
        for r in list_runs(session, limit=limit):
            s = r.stats
            table.add_row(
                r.id, r.status, str(s.get("needs", "")), str(s.get("proposals", "")),
                str(len(s.get("unserved", []))) if "unserved" in s else "",
                str(r.created_at)[:19], str(r.finished_at or "")[:19],
            )  # fmt: skip
    console.print(table)


def _show(matcher: Context, run_id: str, as_json: bool = False) -> None:
    with open_session(ctx=matcher) as session:
        summary = run_summary(session, get_run(session, run_id=run_id))
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    s, p = summary["stats"], summary["progress"]
    console.print(f"run {summary['id']}: [bold]{summary['status']}[/bold], {p['scored']}/{p['needs']} needs scored")
    if summary["error"]:
        console.print(f"[red]{summary['error']}[/red]")
    if summary["status"] == "done":
        _print_done(s)


def _print_done(s: dict[str, Any]) -> None:
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in s["seconds"].items())
    console.print(
        f"{s['proposals']} proposals + {s['alternates']} alternates for {s['needs']} needs "
        f"({s['experts_proposed']} experts); total score {s['objective']} (greedy would reach "
        f"{s['greedy_objective']}); conflicts removed: {s['conflicts_removed'] or 'none'}\n{secs}"
    )
    for u in s["unserved"][:10]:
        console.print(f"  {u['need_id']}: {u['proposed']} proposed — {u['detail']}")
    if len(s["unserved"]) > 10:
        console.print(f"  … {len(s['unserved']) - 10} more needs not fully served (see the export)")


@batch_app.command("show")
def show(run_id: RunArg, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Status, progress, timings and unserved needs of a run."""
    _show(open_workspace(), run_id, as_json)


@batch_app.command("diff")
def diff(old: RunArg, new: RunArg) -> None:
    """Proposals NEW has that OLD had not (+) and the ones it dropped (−)."""
    with open_session() as session:
        d = diff_runs(session, old=old, new=new)
    for need_id, expert_id in d.added:
        console.print(f"[green]+ {need_id}\t{expert_id}[/green]")
    for need_id, expert_id in d.dropped:
        console.print(f"[red]- {need_id}\t{expert_id}[/red]")
    console.print(f"{len(d.added)} new, {len(d.dropped)} dropped, {d.kept} kept")


@batch_app.command("export")
def export(
    run_id: RunArg,
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File to write (default RUN.csv / RUN.xlsx).")] = None,
) -> None:
    """Write a run's proposals with Chinese headers (需求, 企业, 推荐专家, 所属单位, 匹配度, 依据…)."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    with open_session() as session:
        data = render(session, run_id=run_id, fmt=fmt)
        run_id = get_run(session, run_id=run_id).id
    target = out or Path(f"{run_id}.{fmt}")
    target.write_bytes(data)
    console.print(f"wrote {target} ({len(data):,} bytes)")


@batch_app.command("exclude")
def exclude(
    expert_id: Annotated[str, typer.Argument(help="Expert id.")],
    reason: Annotated[str, typer.Option(help="Why (kept with the rule).")],
    need_id: Annotated[str | None, typer.Option("--need-id", help="Exclude for this need only.")] = None,
    organization: Annotated[str | None, typer.Option(help="Exclude for every need of this organisation.")] = None,
) -> None:
    """Put an expert on the exclusion list for one need or one organisation."""
    with open_session(write=True) as session:
        row = add_exclusion(session, expert_id=expert_id, need_id=need_id, organization=organization, reason=reason)
    console.print(f"exclusion {row.pk} added")


@batch_app.command("exclusions")
def exclusions(
    remove: Annotated[int | None, typer.Option(help="Remove the exclusion with this number.")] = None,
) -> None:
    """List the exclusion list (or remove one entry)."""
    matcher = open_workspace()
    if remove is not None:
        with open_session(write=True, ctx=matcher) as session:
            remove_exclusion(session, pk=remove)
        console.print(f"exclusion {remove} removed")
        return
    table = Table("no.", "expert", "need", "organisation key", "reason")
    with open_session(ctx=matcher) as session:
        for row in list_exclusions(session):
            expert = session.get(Expert, row.expert_pk)
            need = session.get(Need, row.need_pk) if row.need_pk else None
            table.add_row(
                str(row.pk),
                expert.id if expert else "?",
                need.id if need else "",
                row.organization_key or "",
                row.reason,
            )
    console.print(table)

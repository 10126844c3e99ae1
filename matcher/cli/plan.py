"""`matcher pairings` and `matcher plan`: company–institution pairings, visit plans and expert delegations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.cli.state import console, open_session, open_workspace, settings
from matcher.errors import InputError
from matcher.export.plans import pairing_row, pairings_bytes, plan_bytes
from matcher.plan import service
from matcher.plan.visits import Plan
from matcher.progress import progress_bar

plan_app = typer.Typer(
    help="Plan 对接会: which institutions a delegation visits, which experts go; stored plans.", no_args_is_help=True
)
Format = Annotated[str, typer.Option("--format", help="table | json | csv | xlsx")]
MinDegree = Annotated[
    float | None,
    typer.Option(
        "--min-degree", help="Ignore pairings below this 匹配度 (0–100; default MATCHER_WEAK_MATCH).", min=0, max=100
    ),
]
Out = Annotated[Path | None, typer.Option("--out", help="Write the json/csv/xlsx here (default: standard output).")]


def _threshold(min_degree: float | None) -> float:
    """The 匹配度 below which a pairing is not worth a call or a meeting (never below the weak line)."""
    return settings().weak_match if min_degree is None else min_degree


def _emit(data: bytes, fmt: str, out: Path | None) -> None:
    if fmt == "xlsx" and out is None:
        raise InputError("--format xlsx needs --out FILE.xlsx")
    if out is not None:
        out.write_bytes(data)
        console.print(f"written: {out}")
    else:
        sys.stdout.buffer.write(data + b"\n")


def pairings(
    region: Annotated[str | None, typer.Option(help="Enterprises' needs in this region only.")] = None,
    enterprise: Annotated[str | None, typer.Option(help="One enterprise (any spelling of its name).")] = None,
    institution_region: Annotated[str | None, typer.Option(help="Institutions in this region only.")] = None,
    top: Annotated[int, typer.Option(help="Institutions per enterprise (or enterprises per institution).", min=1)] = 5,
    by: Annotated[
        str, typer.Option(help="enterprise (whom each company should call) | institution (whom to approach)")
    ] = "enterprise",
    min_degree: MinDegree = None,
    fmt: Format = "table",
    out: Out = None,
) -> None:
    """Company–institution pairings aggregated over each enterprise's open needs, with the needs each institution
    covers, the experts to call and the evidence."""
    with progress_bar("match needs") as (advance, _):
        chosen = service.pairings(
            open_workspace(),
            region=region,
            enterprise=enterprise,
            institution_region=institution_region,
            min_degree=_threshold(min_degree),
            top=top,
            by=by,
            progress=advance,
        )
    if fmt != "table":
        _emit(pairings_bytes(chosen, fmt), fmt, out)
        return
    table = Table("企业", "推荐单位", "得分", "覆盖需求（匹配度）", "联系专家", show_lines=True)
    for p in chosen:
        row = pairing_row(p)
        table.add_row(row[0], f"{row[2]}\n{row[3]}", f"{p.score:.2f}", row[6].replace("；", "\n"), row[7] or "—")
    console.print(table)


def _print_plan(plan: Plan) -> None:
    table = Table("站", "对接单位/专家", "地区", "议程：需求（企业，匹配度）", "约见专家", show_lines=True)
    for s in plan.stops:
        agenda = "\n".join(f"· {a.need[:28]}（{a.enterprise or '—'}，{a.degree:.0f}）" for a in s.agenda) or "—"
        where = f"\n{s.institution}" if s.institution and s.institution != s.name else ""
        table.add_row(str(s.order), s.name + where, s.region or "—", agenda, "、".join(s.experts) or "—")
    console.print(table)
    proof = "optimal" if plan.optimal else f"best found in the time limit; the optimum is at most {plan.bound}"
    unserved = f"; unserved: {', '.join(plan.unserved)}" if plan.unserved else ""
    console.print(
        f"coverage {plan.value:.2f} ({proof}); greedy would reach {plan.greedy_value:.2f}; "
        f"{plan.served}/{plan.needs} needs served{unserved}"
    )


def _make(request: service.PlanRequest, fmt: str, out: Path | None) -> None:
    matcher = open_workspace()
    with progress_bar("match needs") as (advance, _):
        plan = service.make(matcher, request, progress=advance)
    with open_session(write=True, ctx=matcher) as session:
        plan_id = service.save_plan(session, request=request, plan=plan, actor="cli").id
    _show(plan, plan_id, request.__dict__, fmt, out)


def _show(plan: Plan, plan_id: str, params: dict[str, object], fmt: str, out: Path | None) -> None:
    if fmt == "table":
        console.print(f"plan [bold]{plan_id}[/bold]")
        _print_plan(plan)
    else:
        _emit(plan_bytes(plan, fmt, {"id": plan_id, **params}), fmt, out)


@plan_app.command("visit")
def visit(
    stops: Annotated[int, typer.Option("--stops", help="How many institutions to visit.", min=1)],
    enterprises: Annotated[str | None, typer.Option(help="The delegation: enterprise names, comma-separated.")] = None,
    region: Annotated[str | None, typer.Option(help="Or: every enterprise with open needs in this region.")] = None,
    to_region: Annotated[str | None, typer.Option(help="Visit institutions in this region only (e.g. 辽宁).")] = None,
    min_degree: MinDegree = None,
    fmt: Format = "table",
    out: Out = None,
) -> None:
    """The institutions a delegation of enterprises should visit (走出去): the K stops that together cover the
    delegation's needs best (weighted maximum coverage, solved exactly), each with its agenda; stored."""
    names = [n.strip() for n in (enterprises or "").replace("，", ",").split(",") if n.strip()]
    request = service.PlanRequest(
        "visit", stops, names, region=region, to_region=to_region, min_degree=_threshold(min_degree)
    )
    _make(request, fmt, out)


@plan_app.command("delegation")
def delegation(
    region: Annotated[str, typer.Option(help="The region whose open needs the experts serve (请进来).")],
    experts: Annotated[int, typer.Option("--experts", help="How many experts to send.", min=1)],
    per_expert: Annotated[int | None, typer.Option(help="At most this many needs per expert.", min=1)] = None,
    min_degree: MinDegree = None,
    fmt: Format = "table",
    out: Out = None,
) -> None:
    """The K experts who together serve a region's open needs best, each with the needs to discuss; stored."""
    request = service.PlanRequest(
        "delegation", experts, region=region, per_expert=per_expert, min_degree=_threshold(min_degree)
    )
    _make(request, fmt, out)


@plan_app.command("show")
def show(
    plan_id: Annotated[str, typer.Argument(help="Plan id (see `matcher plan list`) or `latest`.")],
    fmt: Format = "table",
    out: Out = None,
) -> None:
    """A stored plan: its stops and agendas, or its 议程 workbook."""
    with open_session() as session:
        record = service.get_plan(session, plan_id=plan_id)
        _show(service.plan_of(record), record.id, record.params, fmt, out)


@plan_app.command("list")
def list_(limit: Annotated[int, typer.Option(help="How many, newest first.", min=1)] = 20) -> None:
    """Stored plans, newest first."""
    table = Table("id", "kind", "created", "stops", "needs served", "coverage")
    with open_session() as session:
        for r in service.list_plans(session, limit=limit):
            res = r.result
            table.add_row(
                r.id,
                r.kind,
                str(r.created_at)[:16],
                str(len(res["stops"])),
                f"{res['served']}/{res['needs']}",
                f"{res['value']:.2f}",
            )
    console.print(table)

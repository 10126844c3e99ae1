"""`matcher pairings` and `matcher plan`: company–institution pairings, visit plans and expert delegations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from matcher.cli.progress import progress_bar
from matcher.cli.state import console, open_matcher, settings
from matcher.errors import InputError
from matcher.plan.export import pairing_row, pairings_bytes, plan_bytes
from matcher.plan.matches import NeedMatches, match_needs, select_needs
from matcher.plan.pairings import all_pairs, top_per
from matcher.plan.visits import Plan, make_plan

plan_app = typer.Typer(
    help="Plan 对接会: which institutions a delegation visits, which experts go.", no_args_is_help=True
)
Format = Annotated[str, typer.Option("--format", help="table | json | csv | xlsx")]
MinDegree = Annotated[
    float | None,
    typer.Option(
        "--min-degree", help="Ignore pairings below this 匹配度 (0–100; default MATCHER_WEAK_MATCH).", min=0, max=100
    ),
]
Out = Annotated[Path | None, typer.Option("--out", help="Write the json/csv/xlsx here (default: standard output).")]


def _matches(level: str, region: str | None, enterprises: list[str] | None) -> list[NeedMatches]:
    matcher = open_matcher()
    with matcher.sessions() as session:
        needs = select_needs(session, region=region, enterprises=enterprises)
    with progress_bar(f"match {len(needs)} needs", len(needs)) as (advance, _):
        return match_needs(matcher, needs, level=level, progress=advance)


def _threshold(min_degree: float | None) -> float:
    """The 匹配度 (as 0–1) below which a pairing is not worth a call or a meeting."""
    return (settings().weak_match if min_degree is None else min_degree) / 100


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
    if by not in ("enterprise", "institution"):
        raise InputError("--by is enterprise|institution")
    matches = _matches("institution", region, [enterprise] if enterprise else None)
    pairs = all_pairs(matches, institution_region, _threshold(min_degree))
    grouped = top_per(pairs, by, top)
    chosen = [p for group in grouped.values() for p in group]
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
        table.add_row(
            str(s.order),
            s.name + (f"\n{s.institution}" if s.institution and s.institution != s.name else ""),
            s.region or "—",
            agenda,
            "、".join(s.experts) or "—",
        )
    console.print(table)
    proof = "optimal" if plan.optimal else f"best found in the time limit; the optimum is at most {plan.bound}"
    console.print(
        f"coverage {plan.value:.2f} ({proof}); greedy would reach {plan.greedy_value:.2f}; "
        f"{plan.served}/{plan.needs} needs served"
        + (f"; unserved: {', '.join(plan.unserved)}" if plan.unserved else "")
    )


def _finish(plan: Plan, params: dict[str, Any], fmt: str, out: Path | None) -> None:
    if fmt == "table":
        _print_plan(plan)
    else:
        _emit(plan_bytes(plan, fmt, params), fmt, out)


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
    delegation's needs best (weighted maximum coverage, CP-SAT), each with its agenda."""
    names = [n.strip() for n in (enterprises or "").replace("，", ",").split(",") if n.strip()] or None
    if names is None and region is None:
        raise InputError("give --enterprises A,B,… or --region R")
    threshold = _threshold(min_degree)
    matches = _matches("institution", region, names)
    plan = make_plan(matches, kind="visit", k=stops, region=to_region, min_degree=threshold)
    params = {"enterprises": names, "region": region, "to_region": to_region, "stops": stops, "min_degree": threshold}
    _finish(plan, params, fmt, out)


@plan_app.command("delegation")
def delegation(
    region: Annotated[str, typer.Option(help="The region whose open needs the experts serve (请进来).")],
    experts: Annotated[int, typer.Option("--experts", help="How many experts to send.", min=1)],
    per_expert: Annotated[int | None, typer.Option(help="At most this many needs per expert.", min=1)] = None,
    min_degree: MinDegree = None,
    fmt: Format = "table",
    out: Out = None,
) -> None:
    """The K experts who together serve a region's open needs best, each with the needs to discuss."""
    threshold = _threshold(min_degree)
    matches = _matches("expert", region, None)
    plan = make_plan(matches, kind="delegation", k=experts, capacity=per_expert, min_degree=threshold)
    params = {"region": region, "experts": experts, "per_expert": per_expert, "min_degree": threshold}
    _finish(plan, params, fmt, out)

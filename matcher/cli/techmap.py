"""`matcher map`: draw the 技术图谱 (topics of demand and supply per region), show it, write the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from matcher.cli.state import console, open_workspace
from matcher.errors import InputError
from matcher.map.cells import DEFAULT_ALPHA
from matcher.progress import progress_bar

if TYPE_CHECKING:
    from matcher.map.view import MapView

map_app = typer.Typer(
    help="技术图谱: technology topics of demand and supply per region, 卡脖子 gaps and 待转化 strengths.",
    no_args_is_help=True,
)
Region = Annotated[str | None, typer.Option(help="One region (e.g. 黑龙江): its gaps and strengths.")]
FieldName = Annotated[str | None, typer.Option("--field", help="One field (its name or number) and its topics.")]


def _topics(value: str) -> int | None:
    if value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"--topics must be 'auto' or a positive number, not {value!r}")
    return int(value)


@map_app.command("build")
def build(
    topics: Annotated[str, typer.Option(help="auto (√(n/2), bounded by --min-size) or a number of topics.")] = "auto",
    min_size: Annotated[int, typer.Option(help="Topics smaller than this fold into their nearest topic.", min=1)] = 3,
    fields: Annotated[int | None, typer.Option(help="Fields grouping the topics (default √topics).", min=1)] = None,
    alpha: Annotated[float, typer.Option(help="Outcomes per need that count as local cover.", min=0.01)] = (
        DEFAULT_ALPHA
    ),
    seed: Annotated[int, typer.Option(help="k-means seed: the same data and seed give the same map.")] = 0,
) -> None:
    """Cluster every outcome and need together into topics, count demand and supply per topic × region, and
    store the map (workspace folder `map/`, with params.json)."""
    from matcher.map.build import MapParams, build_map

    params = MapParams(topics=_topics(topics), min_size=min_size, fields=fields, alpha=alpha, seed=seed)
    matcher = open_workspace()
    with progress_bar("embed outcomes and needs") as (advance, _):
        techmap = build_map(matcher, params=params, progress=advance)
    p = techmap.params
    console.print(
        f"map: {p['documents']} documents → {len(techmap.topics)} topics in {len(techmap.fields)} fields, "
        f"{len(techmap.regions)} regions; {len(techmap.gaps)} gaps, {len(techmap.strengths)} strengths; "
        f"{p['seconds']} s"
    )


def _table(v: MapView, top: int) -> None:
    from matcher.map.report import GAP_KIND

    names = {f.id: f.name for f in v.techmap.fields}
    topics = Table("topic", "field", "terms", "open needs", "outcomes", title="topics")
    for t in v.topics:
        topics.add_row(f"T{t.id}", names[t.field], " ".join(w for w, _ in t.terms[:6]), str(t.needs), str(t.outcomes))
    console.print(topics)
    gaps = Table("region", "topic", "gap", "kind", "needs", "nearest remote institutions", title="卡脖子 gaps")
    for g in v.gaps[:top]:
        insts = "、".join(s.name for s in g.institutions[:3])
        gaps.add_row(g.region, f"T{g.topic}", f"{g.score:g}", GAP_KIND[g.kind], str(len(g.needs)), insts)
    console.print(gaps)
    strengths = Table("region", "topic", "strength", "outcomes awaiting an enterprise", title="待转化 strengths")
    for s in v.strengths[:top]:
        strengths.add_row(s.region, f"T{s.topic}", f"{s.score:g}", "；".join(o.title[:24] for o in s.outcomes[:3]))
    console.print(strengths)


@map_app.command("show")
def show(
    region: Region = None,
    field: FieldName = None,
    top: Annotated[int, typer.Option(help="Gaps and strengths listed.", min=1)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the map (or the view) as JSON.")] = False,
) -> None:
    """The stored map: topics, the biggest gaps and strengths (of one region or field)."""
    from matcher.map.build import current_view

    v = current_view(open_workspace(), region=region, field=field)
    if as_json:
        typer.echo(json.dumps(v.as_dict(), ensure_ascii=False, indent=1))
    else:
        _table(v, top)


@map_app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for index.html, map.json and map.xlsx.")],
    region: Region = None,
    field: FieldName = None,
) -> None:
    """Write the 技术图谱 report: a self-contained HTML page (heatmap, treemap, gaps, strengths, trends), JSON and
    XLSX."""
    from matcher.export.map import write_report
    from matcher.map.build import current_view

    v = current_view(open_workspace(), region=region, field=field)
    for path in write_report(v, out):
        console.print(f"written: {path}")

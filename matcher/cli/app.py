"""`matcher` — Typer commands. Each command is a few lines over matcher.engine.Context; errors raised by the
library (matcher.errors) become one red line and a non-zero exit code here."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.artifacts.folder import PARAMS
from matcher.bundled import demo_dir
from matcher.cli import state
from matcher.cli.batch import batch_app
from matcher.cli.calibrate import calibrate_command
from matcher.cli.imports import experts_app, import_app, run_import
from matcher.cli.judgements import judgements_app
from matcher.cli.ledger import followups, import_engagements, report_app
from matcher.cli.models import models_app
from matcher.cli.plan import pairings, plan_app
from matcher.cli.render import print_result, print_reverse
from matcher.cli.snapshot import publish_command, snapshot_app
from matcher.cli.state import console, open_workspace
from matcher.cli.techmap import map_app
from matcher.cli.train import train
from matcher.cli.tune import tune_embedder
from matcher.cli.users import users_app
from matcher.errors import InputError, MatcherError, NotFoundError
from matcher.match import forward
from matcher.match import reverse as outcome_side
from matcher.progress import err_console, progress_bar
from matcher.workspace import data as stored
from matcher.workspace.context import Context

DEMO_FILES = ("institutions", "experts", "outcomes", "needs")

app = typer.Typer(
    help="matcher — 产学研供需对接: match enterprise needs to experts, institutions and outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
index_app = typer.Typer(help="Build, inspect and verify the search indexes.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(experts_app, name="experts")
app.add_typer(index_app, name="index")
app.add_typer(users_app, name="users")
app.add_typer(batch_app, name="batch")
app.add_typer(plan_app, name="plan")
app.add_typer(map_app, name="map")
app.add_typer(judgements_app, name="judgements")
app.add_typer(snapshot_app, name="snapshot")
app.add_typer(models_app, name="models")
app.command("pairings")(pairings)
app.add_typer(report_app, name="report")
app.command("followups")(followups)
import_app.command("engagements")(import_engagements)


@app.callback()
def main_options(
    home: Annotated[
        Path | None, typer.Option("--home", help="Workspace folder (default ./.matcher or MATCHER_HOME).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Global options."""
    state.State.home = home
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("bm25s").setLevel(logging.WARNING)


# -- index --------------------------------------------------------------------------------------------------
def _build(matcher: Context, full: bool) -> None:
    with progress_bar("embed outcomes") as (advance, set_total):
        report = stored.build_index(matcher, full=full, progress=advance, on_total=set_total)
    console.print(
        f"index: {report.total} outcomes ({report.dense_type}); added {report.added}, "
        f"updated {report.updated}, removed {report.removed}; embedded {report.embedded}; "
        f"{report.seconds:.1f} s"
    )


@index_app.command("build")
def index_build(
    full: Annotated[bool, typer.Option("--full", help="Rebuild from scratch instead of incrementally.")] = False,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Embed the new outcomes on a Ray cluster first: ADDRESS (ray://…, auto) or local."),
    ] = None,
    ray_actors: Annotated[int, typer.Option(min=1, max=1024, help="Embedder actors on the Ray cluster.")] = 2,
) -> None:
    """Bring the dense (FAISS) and BM25 indexes up to date with the store."""
    matcher = open_workspace()
    if ray:
        with progress_bar("embed outcomes on Ray") as (advance, _):
            count = stored.embed_on_ray(matcher, ray, actors=ray_actors, progress=advance)
        console.print(f"ray: {count} passages embedded into the cache")
    _build(matcher, full)
    if matcher.settings.snapshot_store:  # several hosts: the others take the new index from the store
        publish_command()


@index_app.command("status")
def index_status() -> None:
    """Show what the current index holds and how far it is behind the store."""
    matcher = open_workspace()
    manifest = stored.index_manifest(matcher)
    stats = stored.stats(matcher)
    build = manifest.get("build", {})
    console.print(
        f"embedder: {manifest['embedder']} (dim {manifest['dim']})\nindexed outcomes: {manifest['count']} "
        f"({build.get('dense_type')}), stored outcomes: {stats['outcomes']}\n"
        f"built: {manifest['created_at']} in {build.get('seconds')} s"
    )


@index_app.command("verify")
def index_verify() -> None:
    """Check every index file against its checksum and every outcome's text against the store; exit 1 if stale."""
    report = stored.verify_index(open_workspace())
    console.print(json.dumps(report, ensure_ascii=False))
    if not report["ok"]:
        stale = ", ".join(f"{report[k]} {k}" for k in ("changed", "missing", "deleted") if report[k])
        err_console.print(f"[red]index is out of date ({stale}): run `matcher index build`[/red]")
        raise typer.Exit(1)


# -- match --------------------------------------------------------------------------------------------------
@app.command("match")
def match(
    text: Annotated[str | None, typer.Argument(help="The need, as free text (需求文本).")] = None,
    need_id: Annotated[str | None, typer.Option("--need-id", help="Match a stored need by id instead.")] = None,
    level: Annotated[str, typer.Option(help="outcome | expert | institution")] = "expert",
    top: Annotated[int, typer.Option(help="How many results.", min=1, max=1000)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    outcome_id: Annotated[str | None, typer.Option("--outcome-id", help="成果找企业: a stored outcome.")] = None,
    expert_id: Annotated[str | None, typer.Option("--expert-id", help="成果找企业: an expert's outcomes.")] = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="成果找企业: an institution's outcomes (name, alias or id).")
    ] = None,
    outcome_text: Annotated[
        str | None, typer.Option("--outcome-text", help="成果找企业: outcome text (成果描述).")
    ] = None,
    target: Annotated[str, typer.Option("--for", help="Reverse direction: needs | enterprises.")] = "needs",
    region: Annotated[
        str | None, typer.Option("--region", help="Reverse direction: needs of this region only.")
    ] = None,
) -> None:
    """Rank experts, institutions or outcomes for a need, with evidence — or, given an outcome, expert,
    institution or outcome text, the open needs or enterprises it serves (成果找企业)."""
    side = {"outcome_id": outcome_id, "expert_id": expert_id, "institution": institution, "text": outcome_text}
    if any(v is not None for v in side.values()):
        if text is not None or need_id is not None:
            raise InputError("give a need (text or --need-id) or an outcome side (--outcome-id …), not both")
        matcher = open_workspace()
        probe = outcome_side.probe(matcher, **side)
        found = outcome_side.reverse(matcher, probe, target=target, top=top, region=region)
        _show(found.to_dict(), as_json, lambda: print_reverse(console, found))
        return
    if (text is None) == (need_id is None):
        raise InputError("give either the need text or --need-id, not both")
    matcher = open_workspace()
    query = forward.need_query(matcher, need_id) if need_id else forward.text_query(matcher, text or "")
    result = forward.match(matcher, query, level=level, top=top)
    _show(result.to_dict(), as_json, lambda: print_result(console, result))


def _show(payload: dict[str, object], as_json: bool, table: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        table()


# -- workspace ----------------------------------------------------------------------------------------------
@app.command("stats")
def stats() -> None:
    """Count what the workspace holds."""
    table = Table("what", "count")
    for name, value in stored.stats(open_workspace()).items():
        table.add_row(name, str(value))
    console.print(table)


@app.command("demo")
def demo(
    data: Annotated[Path, typer.Option(help="Folder with the demo JSONL files.")] = demo_dir(),
) -> None:
    """Load the bundled demo corpus (institutions, experts, outcomes, needs), build the indexes and the 技术图谱."""
    matcher = open_workspace()
    for kind in DEMO_FILES:
        path = data / f"{kind}.jsonl"
        if not path.exists():
            raise NotFoundError(f"demo file missing: {path}")
        run_import(kind, path, None)
    _build(matcher, full=False)
    _demo_maps(data / "calibration", matcher.settings.workspace().models_dir / "calibration")
    from matcher.map.build import MapParams, build_map

    with progress_bar("技术图谱: embed outcomes and needs") as (advance, _):
        techmap = build_map(matcher, params=MapParams(), progress=advance)
    console.print(f"map: {len(techmap.topics)} topics, {len(techmap.gaps)} gaps, {len(techmap.strengths)} strengths")
    console.print('try: [bold]matcher match "寻求铸件表面涂料技术合作，提高机床铸件表面光洁度" --level expert[/bold]')


def _demo_maps(shipped: Path, own: Path) -> None:
    """The demo workspace's 匹配度 maps: fitted on the demo's own judgements (`make model`), as a deployment's are
    once it has judged (the maps shipped for every other workspace come from other corpora); kept if it has some."""
    if (shipped / PARAMS).exists() and not (own / PARAMS).exists():
        shutil.copytree(shipped, own, dirs_exist_ok=True)
        console.print("匹配度: the demo's own maps (fitted on its judgements) → models/calibration")


app.command("train")(train)
app.command("calibrate")(calibrate_command)
app.command("tune-embedder")(tune_embedder)


def load_plugins() -> None:
    """Commands contributed by other packages (entry point group `matcher.commands`), e.g. `evaluate`."""
    for entry in entry_points(group="matcher.commands"):
        entry.load()(app)


load_plugins()


def main() -> None:
    try:
        app()
    except MatcherError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        sys.exit(2 if isinstance(exc, InputError | NotFoundError) else 1)


if __name__ == "__main__":
    main()

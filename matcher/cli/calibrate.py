"""`matcher calibrate`: fit the 匹配度 maps (per level and direction) on judged files, out of fold, and serve them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.artifacts import history
from matcher.cli.state import console, settings
from matcher.errors import InputError, ModelMissingError
from matcher.learn.calibrate import DIRECTIONS, calibrate
from matcher.learn.models import served_map_keys, served_maps
from matcher.progress import err_console, progress_bar
from matcher.ranking.calibration import Calibration
from matcher.ranking.qrels import read_qrels
from matcher.workspace.scratch import scratch_context

NAMES = ("outcome", "expert", "institution")


def calibrate_command(
    needs: Annotated[Path, typer.Option(help="Needs file of the judged needs.")],
    outcomes: Annotated[Path, typer.Option(help="Outcomes file the judgements refer to.")],
    qrels: Annotated[Path, typer.Option(help="Judgements, TREC format: NEED 0 TARGET GAIN.")],
    names: Annotated[str, typer.Option(help="What the judgements name: outcome | expert | institution.")] = "outcome",
    levels: Annotated[
        str,
        typer.Option(help="Comma-separated: outcome, expert, institution, needs (outcome → needs), enterprises."),
    ] = "outcome,expert,institution,needs",
    out: Annotated[Path | None, typer.Option(help="Folder (default: the workspace's models/calibration).")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N judged queries of --qrels (a faster fit).")
    ] = None,
    complete: Annotated[
        bool, typer.Option(help="Refuse to save unless every key the server gives 匹配度 for has a map.")
    ] = False,
) -> None:
    """Calibrate the 匹配度 on judgements: run the served pipeline (with the configured rankers) for every judged
    query, fit each level's map out of fold, print its ECE and AUC, and save it beside the maps already there."""
    if names not in NAMES:
        raise InputError(f"--names is one of {', '.join(NAMES)}")
    wanted = [level.strip() for level in levels.split(",") if level.strip()]
    if not wanted or set(wanted) - {d.name for d in DIRECTIONS}:
        raise InputError(f"--levels takes {', '.join(d.name for d in DIRECTIONS)}")
    s, judged = settings(), read_qrels(qrels)
    judged = dict(list(judged.items())[:limit]) if limit else judged
    source = "/".join(qrels.resolve().parts[-3:]) + (f" (first {limit} queries)" if limit else "")
    target = out or s.workspace().models_dir / "calibration"
    step = lambda msg: err_console.print(f"· {msg}")  # noqa: E731
    with scratch_context(s, outcomes=outcomes, needs=needs, step=step, served=True) as m:
        with progress_bar("calibrate", len(judged) * len(wanted)) as (advance, _):
            found = calibrate(m, judged, wanted, names=names, source=source, progress=advance)
        embedder, served, keys = m.embedder.name, served_maps(m), served_map_keys(m)
    models = s.workspace().models_dir
    version = history.served(models) if out is None else None  # a workspace with a model history
    try:
        kept, _ = Calibration.load(version.folder / "calibration" if version else target)
    except ModelMissingError:  # the first maps of this folder: beside the ones served (the shipped maps)
        kept = served
    name = f"calibration from {qrels.name}"
    kept.merged(found).save(target, embedder=embedder, name=name, served=keys if complete else None)
    if version and (made := history.adopt(models, {"calibration": target}, {"source": f"校准 {qrels.name}"})):
        console.print(f"model version: {made}")
    table = Table("level", "pairs", "queries", "ECE (out of fold)", "AUC", title=f"匹配度 calibration → {target}")
    for key, level in found.levels.items():
        f = level.figures
        table.add_row(key, str(f["pairs"]), str(f["queries"]), f"{f['ece']:.4f}", f"{f['auc']}")
    console.print(table)

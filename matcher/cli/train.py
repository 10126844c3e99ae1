"""`matcher train`: learn the ranker from judged pairs (files) or from staff feedback (the workspace)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from matcher.artifacts import history
from matcher.cli.state import console, open_session, open_workspace, settings
from matcher.errors import InputError
from matcher.learn.retrain import retrain
from matcher.learn.train import train_expert_ranker, train_outcome_ranker, train_reverse_ranker
from matcher.levels import EXPERT, FORWARD, NEEDS, OUTCOME, REVERSE, Level, level_of
from matcher.progress import err_console, progress_bar
from matcher.ranking.outcome.train import GRID
from matcher.ranking.qrels import read_qrels
from matcher.ranking.reverse.train import GRID as REVERSE_GRID
from matcher.services.feedback import feedback_qrels
from matcher.workspace.scratch import scratch_context

OptPath = Annotated[Path | None, typer.Option()]


def _print_cv(params: dict, what: str, query: str = "need") -> None:
    cv = params["cv"]
    table = Table(
        "configuration", f"CV {cv['metric']}", "± std", title=f"{what}: {cv['folds']}-fold CV grouped by {query}"
    )
    for row in cv["table"]:
        mark = " ◀ chosen" if row == cv["best"] else ""
        table.add_row(str(row["params"]) + mark, f"{row['mean']:.4f}", f"{row['std']:.4f}")
    console.print(table)
    console.print(f"trained on {params['training']['needs']} {query}s; saved with params.json")


def train(
    needs: Annotated[Path | None, typer.Option(help="Needs file (JSONL/CSV/XLSX) of the judged needs.")] = None,
    outcomes: Annotated[Path | None, typer.Option(help="Outcomes file the judgements refer to.")] = None,
    qrels: Annotated[Path | None, typer.Option(help="Judgements, TREC format: NEED 0 OUTCOME GAIN.")] = None,
    from_feedback: Annotated[
        bool, typer.Option("--from-feedback", help="Learn from staff feedback in the workspace.")
    ] = False,
    from_judgements: Annotated[
        bool,
        typer.Option(
            "--from-judgements",
            help="Learn from the workspace's judgements (标注 view, imported qrels) and feedback: the ranker and its "
            "refitted 匹配度 maps become a new model version (matcher models history) only if the judgements do not "
            "run against retrieval, its CV figure beats the served one on the same folds and it does no worse on "
            "the served version's guard set. --out is not used.",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Model folder (default: the workspace's models/active).")] = None,
    name: Annotated[str, typer.Option(help="Model name recorded in params.json.")] = "ranker",
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds (grouped by need).")] = 5,
    objective: Annotated[
        str | None,
        typer.Option(help="Only consider this objective: pairwise-linear | pointwise-linear | pointwise-gbdt"),
    ] = None,
    level: Annotated[
        str,
        typer.Option(help="outcome (judgements name outcomes) | expert (they name expert ids: the expert ranker) | "
                     "needs (outcome judgements, inverted: the reverse ranker of 成果找需求 / 找企业)"),
    ] = "outcome",
    served_at: Annotated[
        str | None,
        typer.Option(help="Comma-separated levels the ranker is served at (default all its levels: outcome, "
                     "expert, institution; for --level needs: needs, enterprises); elsewhere results are ranked by "
                     "fused retrieval."),
    ] = None,
) -> None:
    """Train the ranker with grouped cross-validation and make it the active model."""
    s = settings()
    spec = level_of(level, (OUTCOME, EXPERT, NEEDS))
    if spec is EXPERT:
        _train_experts(needs, outcomes, qrels, out or s.workspace().models_dir / "expert", name, from_feedback)
        return
    if spec is NEEDS:
        target = out or s.workspace().models_dir / "reverse"
        _train_reverse(needs, outcomes, qrels, target, name, folds, objective, _levels(served_at, REVERSE))
        return
    grid = [g for g in GRID if objective is None or g["objective"] == objective]
    if not grid:
        raise InputError(f"unknown objective {objective!r}")
    target = out or s.workspace().models_dir / "active"
    if from_judgements:
        _from_judgements(name)
        return
    if from_feedback:
        matcher = open_workspace()
        with open_session(ctx=matcher) as session:
            judged = feedback_qrels(session)
        if not judged:
            raise InputError("the workspace holds no outcome-level feedback to learn from yet")
        with progress_bar("features + CV", len(judged) + len(grid)) as (advance, _):
            params = train_outcome_ranker(
                matcher,
                judged,
                out=target,
                name=name,
                sources=["feedback"],
                folds=folds,
                grid=grid,
                progress=advance,
            )
    else:
        if not (needs and outcomes and qrels):
            raise InputError("give --needs, --outcomes and --qrels, or --from-feedback")
        judged = read_qrels(qrels)
        step = lambda msg: err_console.print(f"· {msg}")  # noqa: E731
        with (
            scratch_context(s, outcomes=outcomes, needs=needs, step=step) as m,
            progress_bar("features + CV", len(judged) + len(grid)) as (advance, _),
        ):
            params = train_outcome_ranker(
                m,
                judged,
                out=target,
                name=name,
                folds=folds,
                grid=grid,
                progress=advance,
                sources=[str(p.name) for p in (needs, outcomes, qrels)],
                levels=_levels(served_at, FORWARD),
            )
    _print_cv(params, "ranker")
    console.print(f"model: {target}")
    models = s.workspace().models_dir
    if out is None and (made := history.adopt(models, {"ranker": target}, {"source": f"训练 {name}", "name": name})):
        console.print(f"model version: {made}")


def _from_judgements(name: str) -> None:
    matcher = open_workspace()
    with progress_bar("features + CV") as (advance, _):
        result = retrain(matcher, name=name, actor="命令行", progress=advance)
    console.print(result.sentence())
    if result.version:
        console.print(f"model version: {result.version}")


def _levels(served_at: str | None, among: tuple[Level, ...]) -> list[str] | None:
    if served_at is None:
        return None
    levels = [v.strip() for v in served_at.split(",") if v.strip()]
    names = [level.name for level in among]
    if set(levels) - set(names):
        raise InputError(f"--served-at takes {', '.join(names)}")
    return levels


def _train_experts(
    needs: Path | None, outcomes: Path | None, qrels: Path | None, target: Path, name: str, from_feedback: bool
) -> None:
    if from_feedback or not (needs and outcomes and qrels):
        raise InputError("the expert ranker learns from files: give --needs, --outcomes and --qrels (expert ids)")
    judged = read_qrels(qrels)
    step = lambda msg: err_console.print(f"· {msg}")  # noqa: E731
    with (
        scratch_context(settings(), outcomes=outcomes, needs=needs, step=step) as m,
        progress_bar("expert features", len(judged)) as (advance, _),
    ):
        params = train_expert_ranker(
            m, judged, out=target, name=name, progress=advance, sources=[p.name for p in (needs, outcomes, qrels)]
        )
    _print_cv(params, "expert ranker")
    console.print(f"expert model: {target}")


def _train_reverse(
    needs: Path | None,
    outcomes: Path | None,
    qrels: Path | None,
    target: Path,
    name: str,
    folds: int,
    objective: str | None,
    levels: list[str] | None,
) -> None:
    """The reverse ranker from outcome judgements (need → outcome), inverted: one query per judged outcome."""
    if not (needs and outcomes and qrels):
        raise InputError("the reverse ranker learns from files: give --needs, --outcomes and --qrels (outcome ids)")
    grid = [g for g in REVERSE_GRID if objective is None or g["objective"] == objective]
    if not grid:
        raise InputError(f"unknown objective {objective!r}")
    judged = read_qrels(qrels)
    step = lambda msg: err_console.print(f"· {msg}")  # noqa: E731
    with (
        scratch_context(settings(), outcomes=outcomes, needs=needs, step=step) as m,
        progress_bar("reverse features + CV") as (advance, _),
    ):
        params = train_reverse_ranker(
            m, judged, out=target, name=name, folds=folds, grid=grid, progress=advance, levels=levels,
            sources=[p.name for p in (needs, outcomes, qrels)],
        )  # fmt: skip
    _print_cv(params, "reverse ranker", "outcome")
    console.print(f"reverse model: {target}")

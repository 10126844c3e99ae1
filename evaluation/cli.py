"""`matcher evaluate`, contributed to the matcher CLI through the `matcher.commands` entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from evaluation.expert_runner import nested_cv_run
from evaluation.metrics import METRICS, summarize
from evaluation.report import write_report
from evaluation.runner import NeedCandidates, collect, cv_scores, outcome_runs, rolled_runs
from matcher.cli.progress import err_console, progress_bar
from matcher.cli.state import console, settings
from matcher.config import Settings
from matcher.errors import InputError
from matcher.expert_train import collect_experts
from matcher.rank import Ranker
from matcher.rollup import VoteParams
from matcher.scratch import scratch_matcher
from matcher.train import Qrels, judged_set, read_qrels, select_and_fit

FileOpt = Annotated[Path | None, typer.Option()]


def _step(message: str) -> None:
    err_console.print(f"· {message}")


def _trained_ranker(s: Settings, needs: Path, outcomes: Path, qrels: Path) -> Ranker:
    with scratch_matcher(s, outcomes=outcomes, needs=needs, step=_step) as m:
        judged = read_qrels(qrels)
        model, cv = select_and_fit(judged_set(m, judged), judged)
    _step(f"ranker trained on {needs.name}: {cv['best']}")
    return model


def _ranker_scores(
    mode: str,
    s: Settings,
    matcher: Any,
    judged: Qrels,
    items: list[NeedCandidates],
    train: tuple[Path, Path, Path] | None,
) -> tuple[dict[str, np.ndarray] | None, Any]:
    if mode == "none":
        return None, None
    if train:
        model = _trained_ranker(s, *train)
        return {it.qid: model.decision_function(it.X) for it in items}, "trained on --train-* files"
    if mode == "cv":
        with progress_bar("nested CV folds", 5) as (advance, _):
            scores, chosen = cv_scores(matcher, judged, items, folds=5, progress=advance)
        return scores, {"protocol": "outcome-level ranker, nested 5-fold CV grouped by need", "chosen_per_fold": chosen}
    from matcher.engine import Matcher

    active = Matcher(s)
    loaded = active.ranker
    if loaded is None:
        _step(f"no usable active ranker ({active._ranker_notice}); ranker column left out")
        return None, None
    model, params = loaded
    return {it.qid: model.decision_function(it.X) for it in items}, f"active model {params.get('name')}"


def _expert_ranker_run(matcher: Any, judged: Qrels) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    with progress_bar("expert features", len(judged)) as (advance, _):
        cands = collect_experts(matcher, judged, progress=advance)
    with progress_bar("nested CV folds", 5) as (advance, _):
        return nested_cv_run(cands, judged, progress=advance)


def _print(summary: dict[str, Any], title: str) -> None:
    table = Table("system", *METRICS, title=title)
    for name, metrics in summary["systems"].items():
        cells = []
        for m in METRICS:
            p = metrics[m].get("p_vs_bm25")
            mark = "*" if p is not None and p < 0.05 else ""
            cells.append(f"{metrics[m]['mean']:.4f}{mark}")
        table.add_row(name, *cells)
    console.print(table)
    console.print(f"{summary['queries']} queries; * = paired t-test p < 0.05 against bm25")


def evaluate(
    needs: Annotated[Path, typer.Option(help="Needs to evaluate (JSONL/CSV/XLSX).")],
    outcomes: Annotated[Path, typer.Option(help="Outcomes (corpus) file.")],
    qrels: Annotated[
        Path,
        typer.Option(
            help="Judgements, TREC format; targets are outcome ids, expert ids or "
            "institution names according to --level."
        ),
    ],
    level: Annotated[str, typer.Option(help="outcome | expert | institution")] = "outcome",
    pool: Annotated[
        str, typer.Option(help="judged (rank each need's judged outcomes) | all (whole corpus)")
    ] = "judged",
    ranker: Annotated[
        str, typer.Option(help="active | cv (nested CV on these needs; at --level expert the expert ranker) | none")
    ] = "active",
    train_needs: FileOpt = None,
    train_outcomes: FileOpt = None,
    train_qrels: FileOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder for report.html and report.json.")] = None,
    metrics_out: Annotated[Path | None, typer.Option(help="Write {systems: {name: {metric: mean}}, queries}.")] = None,
) -> None:
    """Compare BM25, dense, hybrid and the learned ranker on judged data (throwaway workspace)."""
    if level not in ("outcome", "expert", "institution") or pool not in ("judged", "all"):
        raise InputError("--level is outcome|expert|institution and --pool is judged|all")
    if level != "outcome" and pool == "judged":
        pool = "all"
    train = (train_needs, train_outcomes, train_qrels)
    if any(train) and not all(train):
        raise InputError("give all three of --train-needs, --train-outcomes and --train-qrels")
    s = settings()
    judged = read_qrels(qrels)
    with scratch_matcher(s, outcomes=outcomes, needs=needs, step=_step) as m:
        with progress_bar("candidates + features", len(judged)) as (advance, _):
            items = collect(m, judged, pool=pool, level=level, progress=advance)
        if not items:
            raise InputError("no judged need of --qrels is in --needs")
        mode = "none" if (level != "outcome" and ranker == "cv") else ranker
        scores, ranker_info = _ranker_scores(mode, s, m, judged, items, train if all(train) else None)  # type: ignore[arg-type]
        if level == "outcome":
            runs = outcome_runs(items, scores)
        else:
            params = VoteParams(depth=s.rollup_depth, decay=s.rollup_decay, half_life=s.recency_half_life)
            runs = rolled_runs(items, scores, level, params)
        if level == "expert" and ranker == "cv":
            runs["ranker"], ranker_info = _expert_ranker_run(m, judged)
        summary = summarize(judged, runs)
        summary.update(
            {"level": level, "pool": pool, "ranker": ranker_info, "needs_file": str(needs), "embedder": m.embedder.name}
        )
        _print(summary, f"{needs.parent.name}/{needs.name} · level {level} · pool {pool}")
        if metrics_out:
            brief = {
                "systems": {n: {k: v["mean"] for k, v in ms.items()} for n, ms in summary["systems"].items()},
                "queries": summary["queries"],
            }
            metrics_out.write_text(json.dumps(brief, ensure_ascii=False, indent=2), encoding="utf-8")
        if out:
            path = write_report(out, summary, items, judged, runs)
            console.print(f"report: {path}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)

"""`matcher evaluate`, contributed to the matcher CLI through the `matcher.commands` entry point. Only the
command's signature lives here: the work (ranx, scipy, matplotlib) is imported when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evaluation import NEED_SIDE, OUTCOME_SIDE
from matcher.config import Settings
from matcher.errors import InputError
from matcher.levels import FORWARD, level_of
from matcher.search.degree import probability

FileOpt = Annotated[Path | None, typer.Option()]


def settings(command: typer.Context) -> Settings:
    """The settings of the workspace the matcher command was given (its `--home`, else the environment's)."""
    return Settings.for_home(command.find_root().params.get("home"))


def evaluate(
    command: typer.Context,
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
    train_needs: Annotated[
        Path | None,
        typer.Option(help="Train the ranker on these needs (with --train-outcomes/--train-qrels), score --needs."),
    ] = None,
    train_outcomes: FileOpt = None,
    train_qrels: FileOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder for report.html and report.json.")] = None,
    metrics_out: Annotated[Path | None, typer.Option(help="Write {systems: {name: {metric: mean}}, queries}.")] = None,
    run_out: Annotated[
        Path | None, typer.Option(help="Folder for one TREC run file per system (trec_eval / ranx / ir_measures).")
    ] = None,
    direction: Annotated[
        str,
        typer.Option(help="need (a need ranks outcomes) | outcome (成果找企业: each judged outcome ranks all needs)"),
    ] = "need",
) -> None:
    """Compare BM25, dense, hybrid and the learned ranker on judged data (throwaway workspace)."""
    spec = level_of(level, FORWARD)
    if pool not in ("judged", "all"):
        raise InputError("--pool is judged|all")
    train = (train_needs, train_outcomes, train_qrels)
    if direction not in (NEED_SIDE, OUTCOME_SIDE):
        raise InputError("--direction is need|outcome")
    if direction == OUTCOME_SIDE and not spec.ranker:
        raise InputError("--direction outcome ranks needs for outcomes (--level outcome) or experts (--level expert)")
    if any(train) and not all(train):
        raise InputError("give all three of --train-needs, --train-outcomes and --train-qrels")
    from evaluation.evaluate import Request, run_evaluation

    request = Request(
        needs=needs,
        outcomes=outcomes,
        qrels=qrels,
        level=level,
        pool="all" if spec.votes else pool,
        ranker=ranker,
        train=(train_needs, train_outcomes, train_qrels) if all(train) else None,  # type: ignore[arg-type]
        out=out,
        metrics_out=metrics_out,
        run_out=run_out,
        direction=direction,
    )
    run_evaluation(request, settings(command))


def evaluate_topics(
    command: typer.Context,
    outcomes: Annotated[Path, typer.Option(help="Labelled records (JSONL with a 'field' label, e.g. CSL).")],
    metrics_out: Annotated[Path | None, typer.Option(help="Write the scores as JSON here.")] = None,
    seeds: Annotated[int, typer.Option(help="k-means seeds to average over (0..N-1).", min=1)] = 5,
) -> None:
    """Score the technology map's topics against known labels (NMI, ARI) beside TF-IDF + k-means and embeddings +
    k-means."""
    import json

    from rich.table import Table

    from evaluation.topics import evaluate_topics as run
    from matcher.progress import console, progress_bar
    from matcher.text.tokenize import Tokenizer
    from matcher.workspace.context import open_context

    ctx = open_context(settings(command))
    with progress_bar("embed records") as (advance, _):
        found = run(
            outcomes,
            embedder=ctx.embedder,
            tokenizer=Tokenizer(),
            max_chars=ctx.settings.embed_max_chars,
            seeds=seeds,
            progress=advance,
        )
    title = f"topics vs {found['labels']} labels ({found['records']} records), mean ± std over {seeds} seeds"
    table = Table("system", "NMI", "ARI", "clusters", title=title)
    for name, score in found["systems"].items():
        nmi, ari = f"{score['nmi']:.4f} ± {score['nmi_std']:.4f}", f"{score['ari']:.4f} ± {score['ari_std']:.4f}"
        table.add_row(name, nmi, ari, f"{score['clusters']:g}")
    console.print(table)
    if metrics_out:
        metrics_out.parent.mkdir(parents=True, exist_ok=True)
        metrics_out.write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")


def evaluate_learning(
    command: typer.Context,
    needs: Annotated[Path, typer.Option(help="Judged needs (JSONL/CSV/XLSX).")],
    outcomes: Annotated[Path, typer.Option(help="Outcomes file the judgements refer to.")],
    qrels: Annotated[Path, typer.Option(help="Judgements, TREC format: NEED 0 OUTCOME GRADE.")],
    seeds: Annotated[int, typer.Option(min=1, help="Random splits to average over (0..N-1).")] = 5,
    level: Annotated[
        str,
        typer.Option(
            help="outcome (the judgements name outcomes) or expert (they name experts: each need's expert pool is "
            "the candidate list, an expert not named is not relevant).",
        ),
    ] = "outcome",
    out: Annotated[Path | None, typer.Option(help="Folder for report.html and report.json.")] = None,
    metrics_out: Annotated[Path | None, typer.Option(help="Write the curves as JSON here.")] = None,
) -> None:
    """What judgements buy: a simulated labeller judges pairs chosen actively, at random or from the top of the
    signals' lists (a bandit choosing whose); nDCG@10 and ECE on held-out needs after 25, 50, 100, … judgements,
    beside dense and fused retrieval and the ranker trained on them all."""
    import json

    from rich.table import Table

    from evaluation.learning import EXPERT, OUTCOME, STRATEGIES, learning_curves, render_html
    from matcher.learn.rows import collect_experts, judged_set
    from matcher.levels import EXPERT as EXPERT_LEVEL
    from matcher.levels import OUTCOME as OUTCOME_LEVEL
    from matcher.levels import level_of
    from matcher.progress import console, err_console, progress_bar
    from matcher.ranking.expert.train import stack
    from matcher.ranking.qrels import read_qrels
    from matcher.workspace.scratch import scratch_context

    spec = level_of(level, (OUTCOME_LEVEL, EXPERT_LEVEL))
    s, judged = settings(command), read_qrels(qrels)
    step = lambda msg: err_console.print(f"· {msg}")  # noqa: E731
    with (
        scratch_context(s, outcomes=outcomes, needs=needs, step=step) as m,
        progress_bar("features", len(judged)) as (advance, _),
    ):
        experts = spec is EXPERT_LEVEL
        ts = stack(collect_experts(m, judged, advance), judged) if experts else judged_set(m, judged, advance)
    signals = EXPERT if spec is EXPERT_LEVEL else OUTCOME
    with progress_bar("simulated labellers", len(STRATEGIES) * seeds) as (advance, _):
        line = probability(s.weak_match)
        found = learning_curves(ts, judged, seeds=seeds, line=line, signals=signals, progress=advance)
    found["level"] = level
    table = Table("selection", "judgements", "relevant", "nDCG@10", "ECE", title=f"learning curve, {seeds} seeds (dev)")
    for name, points in found["curves"].items():
        for p in points:
            ece = f"{p['ece']:.4f}" if "ece" in p else "—"
            ndcg = f"{p['ndcg@10']:.4f} ± {p['ndcg@10_std']:.4f}"
            table.add_row(name, f"{p['judgements']:.0f}", f"{p['relevant']:.1f}", ndcg, ece)
    console.print(table)
    console.print({name: ref["ndcg@10"] for name, ref in found["references"].items()}, found["to_reach"])
    if metrics_out:
        metrics_out.parent.mkdir(parents=True, exist_ok=True)
        metrics_out.write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
        (out / "report.html").write_text(render_html(found), encoding="utf-8")
        console.print(f"report: {out / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
    app.command("evaluate-topics")(evaluate_topics)
    app.command("evaluate-learning")(evaluate_learning)

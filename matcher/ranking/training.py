"""One training skeleton for both rankers: a judged set → grouped-CV selection → refit → a saved model folder.
What differs between the outcome and the expert ranker is declared in a `RankerSpec`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.artifacts.folder import save_staged
from matcher.ranking.card import render_card
from matcher.ranking.cv import JudgedSet, Selection, select_and_fit
from matcher.ranking.model import Ranker
from matcher.ranking.qrels import Qrels


@dataclass(frozen=True)
class RankerSpec:
    """A ranker's features, configuration grid, selection protocol and model-card wording."""

    features: tuple[str, ...]
    descriptions: dict[str, str]
    grid: tuple[dict[str, Any], ...]
    selection: Selection
    purpose: str
    pairs: str  # what one judged row is, for the card: "(need, outcome) pairs"
    query: str = "need"  # what one group of rows is (CV folds group by it)

    def load(self, folder: Path) -> tuple[Ranker, dict[str, Any]]:
        return Ranker.load(folder, features=list(self.features))


def fit_ranker(
    ts: JudgedSet,
    qrels: Qrels,
    spec: RankerSpec,
    *,
    grid: list[dict[str, Any]] | None = None,
    folds: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Ranker, dict[str, Any]]:
    """Cross-validate the grid (the spec's unless given), refit the chosen configuration on every row."""
    how = spec.selection if folds is None else Selection(spec.selection.metric, folds, spec.selection.rule)
    how = Selection(how.metric, min(how.folds, len(ts.queries)), how.rule)
    model, cv = select_and_fit(ts, qrels, Ranker, grid or list(spec.grid), how, progress)
    assert isinstance(model, Ranker)
    return model, cv


def save_ranker(
    out: Path,
    model: Ranker,
    cv: dict[str, Any],
    spec: RankerSpec,
    *,
    ts: JudgedSet,
    embedder: str,
    name: str,
    sources: list[str],
    levels: list[str] | None = None,
) -> dict[str, Any]:
    """Write the model folder (staging, then swapped in): skops, params.json and card.md; `levels`: where an outcome
    ranker is served (recorded in params.json; absent: at every level)."""
    summary = {"name": name, "embedder": embedder, "training": ts.summary(), "cv": cv, "sources": sources,
               **({"levels": levels} if levels is not None else {})}  # fmt: skip
    card = render_card(
        summary, purpose=spec.purpose, pairs=spec.pairs, descriptions=spec.descriptions, query=spec.query
    )
    return save_staged(out, lambda f: model.save(f, features=list(spec.features), summary=summary, card=card))

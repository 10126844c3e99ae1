"""The guard set: the judgements the served model was accepted on, kept beside it in its history version. A new
model must not rank them worse than the served one — measured where they still apply to the corpus (needs and
outcomes still stored) — so judgements poisoned since (grades flipped, junk added) cannot win by the folds of
themselves alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.artifacts.history import GUARD
from matcher.errors import InputError
from matcher.learn.rows import judged_set
from matcher.ranking.model import Ranker
from matcher.ranking.qrels import Qrels, evaluate_run, read_qrels
from matcher.workspace.context import Context

SLACK = 0.01  # nDCG@10 the new model may lose on the guard set (ties and refit noise), no more


@dataclass(frozen=True)
class GuardFigures:
    needs: int
    pairs: int
    new: float
    served: float

    @property
    def holds(self) -> bool:
        return self.new >= self.served - SLACK

    def reason(self) -> str:
        return (
            f"新模型在当前模型所依据的 {self.pairs} 条判断（{self.needs} 个需求）上变差：排序得分 "
            f"{self.new:.4f}，当前模型 {self.served:.4f}，未启用新模型"
        )


def guard_qrels(version: Path | None) -> Qrels:
    """The guard set of a history version (empty without one)."""
    if version is None or not (version / GUARD).exists():
        return {}
    return read_qrels(version / GUARD)


def check_guard(ctx: Context, guard: Qrels, new: Ranker, served: Ranker, metric: str) -> GuardFigures | None:
    """Both models' `metric` on the guard set's pairs still in the corpus (None: none of it applies)."""
    usable = {q: d for q, d in guard.items() if any(g > 0 for g in d.values())}
    if not usable:
        return None
    try:
        ts = judged_set(ctx, usable)
    except InputError:  # no guard pair left in the corpus
        return None
    rows = np.arange(len(ts.y))
    figures = [evaluate_run(usable, ts.run(rows, m.decision_function(ts.X)), metric) for m in (new, served)]
    return GuardFigures(len(ts.queries), len(ts.y), float(figures[0]), float(figures[1]))

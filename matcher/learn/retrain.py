"""Retrain from the workspace's own judgements (the 标注 view's, imported qrels, feedback): the outcome ranker by
grouped CV, kept only when its CV figure beats what is served now — the active ranker, or the fused retrieval
without one — on the same folds; then the 匹配度 calibration refitted on the same judgements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.errors import ConflictError, ModelMissingError
from matcher.learn.calibrate import calibrate
from matcher.learn.rows import Progress, judged_set
from matcher.ranking.calibration import Calibration
from matcher.ranking.cv import JudgedSet, group_folds
from matcher.ranking.outcome.features import FEATURES
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.ranking.qrels import Qrels, evaluate_run
from matcher.ranking.training import fit_ranker, save_ranker
from matcher.services.judgements import training_qrels
from matcher.workspace.context import Context

MIN_NEEDS = 5  # needs with both a relevant and a non-relevant judgement before a ranker is worth fitting


@dataclass(frozen=True)
class Retrained:
    kept: bool
    judgements: int
    needs: int
    metric: str
    new: float  # the new ranker's CV figure
    served: float  # what is served now, on the same folds
    served_by: str  # 当前排序模型 NAME | 融合检索

    def sentence(self) -> str:
        verdict = "已启用新模型" if self.kept else "新模型未胜出，仍用原模型"
        return (
            f"{verdict}：基于 {self.judgements} 条判断（{self.needs} 个需求），交叉验证 nDCG@10 "
            f"新模型 {self.new:.4f}，{self.served_by} {self.served:.4f}"
        )


def usable_needs(qrels: Qrels) -> int:
    return sum(1 for judged in qrels.values() if any(g > 0 for g in judged.values()) and min(judged.values()) == 0)


def served_figure(ctx: Context, ts: JudgedSet, qrels: Qrels, folds: int, metric: str) -> tuple[float, str]:
    """The metric of what is served now on each held-out fold of the same split: the active ranker's scores (it
    saw none of these folds' training) or, without one, the fused retrieval (the rrf feature)."""
    ranker = ctx.ranker
    scores = ranker.model.decision_function(ts.X) if ranker else ts.X[:, FEATURES.index("rrf")]
    figures = [evaluate_run(qrels, ts.run(test, scores[test]), metric) for _, test in group_folds(ts.groups, folds)]
    return float(np.mean(figures)), f"当前排序模型 {ranker.name}" if ranker else "融合检索"


def retrain(ctx: Context, *, out: Path, calibration_out: Path, name: str, progress: Progress = None) -> Retrained:
    """Fit on every judgement the workspace holds; save the ranker (and refit the calibration) only if it wins."""
    with ctx.sessions() as session:
        qrels = training_qrels(session)
    if (usable := usable_needs(qrels)) < MIN_NEEDS:  # the workspace is not ready: a conflict, not bad input
        raise ConflictError(
            f"判断还不够：至少需要 {MIN_NEEDS} 个需求各有相关与不相关的判断（现有 {usable} 个），请继续标注"
        )
    ts = judged_set(ctx, qrels, progress)
    spec = OUTCOME_RANKER
    folds = min(spec.selection.folds, len(ts.queries))
    model, cv = fit_ranker(ts, qrels, spec, folds=folds, progress=progress)
    served, served_by = served_figure(ctx, ts, qrels, folds, spec.selection.metric)
    new = float(cv["best"]["mean"])
    result = Retrained(new > served, len(ts.y), len(ts.queries), spec.selection.metric, new, served, served_by)
    if result.kept:
        save_ranker(out, model, cv, spec, ts=ts, embedder=ctx.embedder.name, name=name,
                    sources=[f"judgements ({len(ts.y)} pairs)"])  # fmt: skip
        _recalibrate(ctx, qrels, calibration_out)
    return result


def _recalibrate(ctx: Context, qrels: Qrels, folder: Path) -> dict[str, Any]:
    """The outcome and roll-up maps refitted on the judgements with the new ranker served, kept beside the rest."""
    found = calibrate(ctx, qrels, ["outcome", "expert", "institution"], names="outcome", source="judgements")
    try:
        kept, _ = Calibration.load(folder)
    except ModelMissingError:  # the workspace's first maps: beside the served ones (a key without a map has no 匹配度)
        kept = ctx.served.calibration
    return kept.merged(found).save(folder, embedder=ctx.embedder.name, name="calibration from judgements")

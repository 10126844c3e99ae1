"""Retrain from the workspace's own judgements (the 标注 view's, imported qrels, feedback) as one transaction: the
outcome ranker by grouped CV and the 匹配度 maps refitted with it are written to a staging version, checked, and
served together in one step (`artifacts/history.py`) — or nothing changes.

The new version is refused unless (1) the judgements do not run against plain retrieval (`agreement.py`: likely
inverted), (2) its CV figure beats what is served now — the active ranker, or the fused retrieval without one — on
the same folds, (3) it does no worse on the guard set kept with the served version (`guard.py`), and (4) its maps
fit and both parts load back. One model change runs at a time (the second gets a ConflictError); every attempt,
kept or not, is recorded in the history with why and its figures."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.artifacts import history
from matcher.errors import ConflictError, InputError, MatcherError, ModelMismatchError
from matcher.learn.agreement import agreement
from matcher.learn.calibrate import calibrate
from matcher.learn.guard import check_guard, guard_qrels
from matcher.learn.rows import Progress, judged_set
from matcher.ranking.calibration import Calibration
from matcher.ranking.cv import JudgedSet, group_folds
from matcher.ranking.outcome.features import FEATURES
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.ranking.qrels import Qrels, evaluate_run
from matcher.ranking.training import fit_ranker, save_ranker
from matcher.services.judgements import qrels_lines, training_qrels
from matcher.workspace.context import Context

MIN_NEEDS = 5  # needs with both a relevant and a non-relevant judgement before a ranker is worth fitting


@dataclass(frozen=True)
class Retrained:
    kept: bool
    judgements: int
    needs: int
    metric: str
    new: float | None  # the new ranker's CV figure (None: refused before fitting)
    served: float | None  # what is served now, on the same folds
    served_by: str  # 当前排序模型 NAME | 融合检索
    status: str = "kept"  # kept | not-better | refused
    reason: str = ""  # why it was not kept, in the staff's words
    version: str | None = None  # the history version now served, when kept
    figures: dict[str, Any] = field(default_factory=dict)  # agreement, guard

    def sentence(self) -> str:
        if self.status == "refused":
            return self.reason
        verdict = "已启用新模型" if self.kept else "新模型未胜出，仍用原模型"
        return (
            f"{verdict}：基于 {self.judgements} 条判断（{self.needs} 个需求），交叉验证排序得分 "
            f"新模型 {self.new or 0:.4f}，{self.served_by} {self.served or 0:.4f}"
        )

    def detail(self) -> dict[str, Any]:
        """What the attempt's record keeps: kept or not, why, the figures."""
        return {"kept": self.kept, "status": self.status, "reason": self.reason or self.sentence(),
                "judgements": self.judgements, "needs": self.needs, "new": self.new, "served": self.served,
                "served_by": self.served_by, "version": self.version, **self.figures}  # fmt: skip


def usable_needs(qrels: Qrels) -> int:
    return sum(1 for judged in qrels.values() if any(g > 0 for g in judged.values()) and min(judged.values()) == 0)


def served_figure(ctx: Context, ts: JudgedSet, qrels: Qrels, folds: int, metric: str) -> tuple[float, str]:
    """The metric of what is served now on each held-out fold of the same split: the active ranker's scores (it
    saw none of these folds' training) or, without one, the fused retrieval (the rrf feature)."""
    ranker = ctx.snapshot().ranker
    scores = ranker.model.decision_function(ts.X) if ranker else ts.X[:, FEATURES.index("rrf")]
    figures = [evaluate_run(qrels, ts.run(test, scores[test]), metric) for _, test in group_folds(ts.groups, folds)]
    return float(np.mean(figures)), f"当前排序模型 {ranker.name}" if ranker else "融合检索"


def retrain(
    ctx: Context, *, name: str, actor: str = "", progress: Progress = None, grid: list[dict[str, Any]] | None = None
) -> Retrained:
    """Fit on every judgement the workspace holds; serve the new ranker and maps together only if they pass
    (`grid`: the configurations to cross-validate, the outcome ranker's own by default)."""
    models = ctx.workspace.models_dir
    with history.change_lock(models):
        history.clean_staging(models)
        try:
            result = _attempt(ctx, models, name=name, progress=progress, grid=grid)
        except MatcherError as exc:
            history.record_attempt(models, {"action": "retrain", "actor": actor, "kept": False,
                                            "status": "failed", "reason": str(exc)})  # fmt: skip
            raise
        history.record_attempt(models, {"action": "retrain", "actor": actor, **result.detail()})
    return result


def _attempt(
    ctx: Context, models: Path, *, name: str, progress: Progress, grid: list[dict[str, Any]] | None
) -> Retrained:
    with ctx.sessions() as session:
        qrels = training_qrels(session)
    if (usable := usable_needs(qrels)) < MIN_NEEDS:  # the workspace is not ready: a conflict, not bad input
        raise ConflictError(
            f"判断还不够：至少需要 {MIN_NEEDS} 个需求各有相关与不相关的判断（现有 {usable} 个），请继续标注"
        )
    ts = judged_set(ctx, qrels, progress)
    spec, agreed = OUTCOME_RANKER, agreement(ts)
    base = Retrained(False, len(ts.y), len(ts.queries), spec.selection.metric, None, None, "",
                     figures={"agreement": agreed.figures()})  # fmt: skip
    if agreed.inverted:
        return dataclasses.replace(base, status="refused", reason=agreed.reason())
    folds = min(spec.selection.folds, len(ts.queries))
    model, cv = fit_ranker(ts, qrels, spec, folds=folds, grid=grid, progress=progress)
    served, served_by = served_figure(ctx, ts, qrels, folds, spec.selection.metric)
    result = dataclasses.replace(base, new=float(cv["best"]["mean"]), served=served, served_by=served_by)
    if not result.new or result.new <= served:
        return dataclasses.replace(result, status="not-better", reason=result.sentence())
    current, ranker = history.served(models), ctx.snapshot().ranker
    if ranker is not None and (guard := guard_qrels(current.folder if current else None)):
        figures = check_guard(ctx, guard, model, ranker.model, spec.selection.metric)
        if figures is not None:
            result = dataclasses.replace(result, figures={**result.figures, "guard": dataclasses.asdict(figures)})
            if not figures.holds:
                return dataclasses.replace(result, status="refused", reason=figures.reason())
    version = history.new_id()
    staging = history.staging_dir(models, version)
    try:
        save_ranker(staging / "ranker", model, cv, spec, ts=ts, embedder=ctx.embedder.name, name=name,
                    sources=[f"judgements ({len(ts.y)} pairs)"])  # fmt: skip
        try:
            _recalibrate(ctx, qrels, staging)
        except InputError as exc:
            reason = f"新模型的匹配度校准无法拟合（判断中相关的成果太少或与排序不符），未启用新模型（{_plain(exc)}）"
            return dataclasses.replace(result, status="refused", reason=reason)
        (staging / history.GUARD).write_text("\n".join(qrels_lines(qrels)) + "\n", encoding="utf-8")
        _check(staging, ctx.embedder.name)
        source = f"判断重新训练（{len(ts.y)} 条判断，{len(ts.queries)} 个需求）"
        info = {"id": version, "name": name, "source": source, "judgements": len(ts.y), "needs": len(ts.queries),
                "cv": result.new, "served_before": served}  # fmt: skip
        history.commit(models, staging, info)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(result, kept=True, status="kept", version=version)


def _plain(exc: InputError) -> str:
    """The count an English fit error carries, without its words (`no relevant pair among the 20 scored…`)."""
    digits = [w for w in str(exc).split() if w.isdigit()]
    return f"{digits[0]} 个候选中没有相关的" if digits else "没有相关的候选"


def _staged(ctx: Context, ranker: Path) -> Context:
    """The same workspace seen with the staged ranker served (its own served state; nothing of ctx's replaced)."""
    shared = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(Context) if f.init}
    return Context(**{**shared, "settings": ctx.settings.model_copy(update={"model": str(ranker)})})


def _recalibrate(ctx: Context, qrels: Qrels, staging: Path) -> dict[str, Any]:
    """The outcome and roll-up maps refitted on the judgements with the staged ranker served, over the maps
    served now (the other levels' kept)."""
    staged = _staged(ctx, staging / "ranker")
    try:
        found = calibrate(staged, qrels, ["outcome", "expert", "institution"], names="outcome", source="judgements")
    finally:
        staged.served.reload()
    return ctx.snapshot().calibration.merged(found).save(staging / "calibration", embedder=ctx.embedder.name,
                                   name="calibration from judgements")  # fmt: skip


def _check(staging: Path, embedder: str) -> None:
    """Both staged parts load back, made for this embedder (ModelMismatchError otherwise: nothing is served)."""
    _, params = OUTCOME_RANKER.load(staging / "ranker")
    _, maps = Calibration.load(staging / "calibration")
    if params.get("embedder") != embedder or maps.get("embedder") != embedder:
        raise ModelMismatchError(f"staged model at {staging} was not made for {embedder}")

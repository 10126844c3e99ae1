"""What `matcher evaluate` does: a throwaway workspace, every system's run, metrics, the printed table and the
report files. Imported only when the command runs (it pulls in ranx, scipy and matplotlib)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from evaluation import OUTCOME_SIDE, reverse_ranker
from evaluation.bands import band_reliability
from evaluation.expert_runner import nested_cv_run
from evaluation.metrics import METRICS, summarize, write_trec_runs
from evaluation.report import write_report
from evaluation.reverse import forward_items, probes_for, ranker_run, retrieval_runs
from evaluation.runner import NeedCandidates, collect, cv_scores, judged_probabilities, outcome_runs, rolled_runs
from matcher.config import Settings
from matcher.errors import InputError
from matcher.learn.calibrate import gather, invert
from matcher.learn.rows import collect_experts, judged_set
from matcher.levels import EXPERT, NEEDS, OUTCOME, level_of
from matcher.match import forward
from matcher.progress import console, err_console, progress_bar
from matcher.ranking.calibration import fit_level, reliability
from matcher.ranking.expert.train import EXPERT_RANKER, stack
from matcher.ranking.model import Ranker
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.ranking.qrels import Qrels, read_qrels
from matcher.ranking.training import fit_ranker
from matcher.search.degree import Bands, degree
from matcher.search.fusion import FusionParams
from matcher.search.vote import VoteParams
from matcher.workspace.context import Context, open_context
from matcher.workspace.scratch import scratch_context


@dataclass(frozen=True)
class Request:
    needs: Path
    outcomes: Path
    qrels: Path
    level: str
    pool: str
    ranker: str
    train: tuple[Path, Path, Path] | None
    out: Path | None
    metrics_out: Path | None
    run_out: Path | None = None
    direction: str = "need"  # need: a need looks for outcomes; outcome: an outcome looks for needs (成果找企业)


def _step(message: str) -> None:
    err_console.print(f"· {message}")


def _trained_ranker(s: Settings, needs: Path, outcomes: Path, qrels: Path) -> Ranker:
    with scratch_context(s, outcomes=outcomes, needs=needs, step=_step) as m:
        judged = read_qrels(qrels)
        model, cv = fit_ranker(judged_set(m, judged), judged, OUTCOME_RANKER)
    _step(f"ranker trained on {needs.name}: {cv['best']['params']}")
    return model


def _ranker_scores(
    req: Request, s: Settings, matcher: Context, judged: Qrels, items: list[NeedCandidates], mode: str
) -> tuple[dict[str, np.ndarray] | None, Any]:
    if mode == "none":
        return None, None
    if req.train:
        model = _trained_ranker(s, *req.train)
        return {it.qid: model.decision_function(it.X) for it in items}, "trained on --train-* files"
    if mode == "cv":
        on_pool = req.pool == "all"  # the ranker trains on the pool it will order
        with progress_bar("nested CV folds", 5) as (advance, _):
            scores, chosen, probs = cv_scores(matcher, judged, items, folds=5, progress=advance, pool_rows=on_pool)
        calibration = reliability(*judged_probabilities(items, probs, judged))
        _step(f"匹配度 calibration on held-out judged pairs: ECE {calibration['ece']:.3f} over {calibration['pairs']}")
        protocol = "outcome-level ranker, nested 5-fold CV grouped by need" + (
            "; trained on the retrieved candidates, unjudged = 0" if on_pool else ""
        )
        return scores, {"protocol": protocol, "chosen_per_fold": chosen, "calibration": calibration}
    loaded, notices = forward.served_ranker(open_context(s), OUTCOME)
    if loaded is None:
        _step(f"no usable active ranker ({'; '.join(notices)}); ranker column left out")
        return None, None
    return {it.qid: loaded.model.decision_function(it.X) for it in items}, f"active model {loaded.name}"


def _expert_trained_run(
    s: Settings, train: tuple[Path, Path, Path], matcher: Context, judged: Qrels
) -> tuple[dict[str, dict[str, float]], str]:
    """The expert ranker trained on the --train-* split (its own throwaway workspace), scoring this split's needs."""
    needs, outcomes, qrels = train
    with scratch_context(s, outcomes=outcomes, needs=needs, step=_step) as trainer:
        train_judged = read_qrels(qrels)
        with progress_bar("expert features (train split)", len(train_judged)) as (advance, _):
            ts = stack(collect_experts(trainer, train_judged, progress=advance), train_judged)
        model, cv = fit_ranker(ts, train_judged, EXPERT_RANKER)
    with progress_bar("expert features", len(judged)) as (advance, _):
        cands = collect_experts(matcher, judged, progress=advance)
    run = {q: dict(zip(c.ids, model.decision_function(c.X).tolist(), strict=True)) for q, c in cands.items() if c.ids}
    info = f"expert ranker trained on {needs.name}: {cv['best']['params']}"
    _step(info)
    return run, info


def _expert_ranker_run(matcher: Context, judged: Qrels) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
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
            cells.append(f"{metrics[m]['mean']:.4f}{'*' if p is not None and p < 0.05 else ''}")
        table.add_row(name, *cells)
    console.print(table)
    console.print(f"{summary['queries']} queries; * = paired t-test p < 0.05 against bm25")


def _runs(req: Request, s: Settings, m: Context, judged: Qrels, items: list[NeedCandidates]) -> tuple[dict, Any]:
    """Every system's ranking. At expert level `cv` and --train-* mean the expert ranker; at institution level
    they leave the ranker out (an outcome ranker cannot learn from institution judgements)."""
    learned, level = req.ranker == "cv" or req.train is not None, level_of(req.level)
    mode = "none" if (level.votes and learned) else req.ranker
    scores, ranker_info = _ranker_scores(req, s, m, judged, items, mode)
    if not level.votes:
        runs = outcome_runs(items, scores, FusionParams.from_settings(s))
    else:
        runs = rolled_runs(items, scores, req.level, VoteParams.from_settings(s), FusionParams.from_settings(s))
    if level is EXPERT and req.train is not None:
        runs["ranker"], ranker_info = _expert_trained_run(s, req.train, m, judged)
    elif level is EXPERT and req.ranker == "cv":
        runs["ranker"], ranker_info = _expert_ranker_run(m, judged)
    return runs, ranker_info


def _write_outputs(req: Request, summary: dict[str, Any], runs: dict[str, Any]) -> None:
    if req.metrics_out:
        brief = {
            "systems": {n: {k: v["mean"] for k, v in ms.items()} for n, ms in summary["systems"].items()},
            "queries": summary["queries"],
            "embedder": summary["embedder"],  # which vectors (a tuned model's checksum too): runs stay traceable
            "calibration": {
                key: {
                    **{k: f[k] for k in ("ece", "auc", "pairs", "relevant", "queries")},
                    "served_ece": f["served"]["ece"] if f["served"] else None,
                    "served_auc": f["served"]["auc"] if f["served"] else None,
                    "served_bands": f["served_bands"],
                }
                for key, f in summary.get("calibration", {}).items()
            },
        }
        req.metrics_out.write_text(json.dumps(brief, ensure_ascii=False, indent=2), encoding="utf-8")
    if req.run_out:
        console.print(f"TREC run files: {', '.join(p.name for p in write_trec_runs(req.run_out, runs))}")


def run_reverse(req: Request, s: Settings) -> None:
    """Outcome → needs: the judgements inverted, every need ranked for each outcome with a relevant one."""
    judged = read_qrels(req.qrels)
    inverted = invert(judged)
    with scratch_context(s, outcomes=req.outcomes, needs=req.needs, step=_step, served=True) as m:
        probes = probes_for(m, list(inverted), req.level)
        if not probes:
            raise InputError(f"no {req.level} with a relevant need in --qrels is in --outcomes")
        runs = retrieval_runs(m, probes)
        info: Any = None
        if req.ranker == "cv" and level_of(req.level) is OUTCOME:
            with progress_bar("forward features, every need × judged outcome", len(judged)) as (advance, _):
                items = forward_items(m, list(probes), advance)
            runs["ranker"], chosen = ranker_run(m, judged, items)
            info = {"protocol": "forward ranker's calibrated P(relevant), nested 5-fold CV by need", "chosen": chosen}
        reverse_info = enterprises = None
        if req.ranker in ("cv", "active") and level_of(req.level) is OUTCOME:
            extra, reverse_info = reverse_ranker.ranker_runs(m, judged, req.ranker)
            runs.update(extra)
            enterprises = _enterprises(m, judged, probes)
        queries = {o: inverted[o] for o in probes}
        summary = summarize(queries, runs)
        against_hybrid = summarize(queries, runs, baseline="hybrid")["systems"]
        paired = summarize(queries, runs, baseline="reverse-fused")["systems"] if "reverse-fused" in runs else {}
        for name, metrics in summary["systems"].items():
            for metric, values in metrics.items():
                values["p_vs_hybrid"] = against_hybrid[name][metric]["p_vs_hybrid"]
                if paired:  # the reverse ranker against the fused vote over the same candidates
                    values["p_vs_reverse_fused"] = paired[name][metric]["p_vs_reverse-fused"]
        calibration = _served_calibration(m, judged, NEEDS.name) if level_of(req.level) is OUTCOME else {}
        summary.update(
            {"direction": "outcome", "ranker": info, "needs_file": str(req.needs), "embedder": m.embedder.name,
             "calibration": calibration, "reverse_ranker": reverse_info, "enterprises": enterprises}
        )  # fmt: skip
        _print(summary, f"{req.needs.parent.name} · {req.level} → needs ({len(probes)} {req.level}s)")
        if enterprises:
            console.print(f"成果找需求 / 找企业 as served: {enterprises}")
        _write_outputs(req, summary, runs)
        if req.out:
            req.out.mkdir(parents=True, exist_ok=True)
            path = req.out / "report.json"
            path.write_text(
                json.dumps({k: v for k, v in summary.items() if k != "per_query"}, ensure_ascii=False, indent=2)
            )
            console.print(f"report: {path}")


def _enterprises(m: Context, judged: Qrels, probes: dict[str, Any]) -> dict[str, Any] | None:
    """找企业 and 成果找需求 as served (with the reverse ranker served now, if any), judged through the needs' grades;
    None where the needs name no organisation."""
    qrels = reverse_ranker.enterprise_qrels(m, invert(judged))
    if not qrels:
        return None
    found = {o: p for o, p in probes.items() if o in qrels}
    with progress_bar("找企业 as served", len(found)) as (advance, _):
        ent_run, needs_run = reverse_ranker.enterprise_run(m, found, progress=advance)
    systems = {"enterprises": summarize(qrels, {"served": ent_run}, baseline="served")["systems"]["served"],
               "needs": summarize(invert(judged), {"served": needs_run}, baseline="served")["systems"]["served"]}
    served = forward.served_ranker(m, NEEDS)[0] is not None
    return {name: {k: v["mean"] for k, v in ms.items()} for name, ms in systems.items()} | {
        "queries": len(found), "reverse_ranker_served": served}


def _served_calibration(m: Context, judged: Qrels, direction: str) -> dict[str, Any]:
    """How well each served score of `direction` calibrates into the 匹配度 on these judgements: its level map
    fitted out of fold (folds grouped by query), ECE, AUC and reliability bins (`learn/calibrate.py`)."""
    probes = len(invert(judged)) if level_of(direction).reverse else len(judged)  # reverse: one probe per outcome
    with progress_bar(f"匹配度 calibration ({direction})", probes) as (advance, _):
        pairs = gather(m, judged, direction, progress=advance)
    found = {}
    for key in pairs.scores:
        scores, labels = np.array(pairs.scores[key]), np.array(pairs.labels[key])
        level = fit_level(scores, labels, np.array(pairs.groups[key]), "")
        # and the 匹配度 as served today (the shipped maps, fitted on other judgements): data they never saw
        mapped = forward.served_probabilities(m, key, scores)
        shipped = reliability(mapped, labels) if mapped is not None else None  # None: no map served for the key
        served = {k: shipped[k] for k in ("ece", "auc", "bins")} if shipped else None
        as_shipped = band_reliability(None if mapped is None else degree(mapped), labels, Bands.of(m.settings))
        found[key] = {**level.figures, "served": served, "served_bands": as_shipped}
        _step(f"匹配度 {key}: ECE {level.figures['ece']:.4f} refitted out of fold, "
              f"{shipped['ece'] if shipped else '— (no map)'} as served; AUC {level.figures['auc']} over "
              f"{level.figures['pairs']}")  # fmt: skip
    return found


def run_evaluation(req: Request, s: Settings) -> None:
    if req.direction == OUTCOME_SIDE:
        run_reverse(req, s)
        return
    judged = read_qrels(req.qrels)
    with scratch_context(s, outcomes=req.outcomes, needs=req.needs, step=_step, served=True) as m:
        with progress_bar("candidates + features", len(judged)) as (advance, _):
            items = collect(m, judged, pool=req.pool, level=req.level, progress=advance)
        if not items:
            raise InputError("no judged need of --qrels is in --needs")
        runs, ranker_info = _runs(req, s, m, judged, items)
        summary = summarize(judged, runs)
        summary.update(
            {
                "level": req.level,
                "pool": req.pool,
                "ranker": ranker_info,
                "needs_file": str(req.needs),
                "embedder": m.embedder.name,
                "calibration": _served_calibration(m, judged, req.level),
            }
        )
        _print(summary, f"{req.needs.parent.name}/{req.needs.name} · level {req.level} · pool {req.pool}")
        _write_outputs(req, summary, runs)
        if req.out:
            console.print(f"report: {write_report(req.out, summary, items, judged, runs)}")

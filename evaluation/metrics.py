"""Metric wiring over ranx: per-query values, means with bootstrap confidence intervals, paired t-tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from ranx import Qrels, Run, evaluate
from scipy import stats

# nDCG in both gain conventions: ranx "ndcg" is Järvelin & Kekäläinen's (gain = grade, linear), "ndcg_burges" is
# Burges et al.'s (gain = 2^grade − 1, exponential); they differ on graded judgements (BDCI), not on binary ones
METRICS = ("ndcg@10", "ndcg_burges@10", "map", "mrr", "recall@10", "recall@100")
Judged = dict[str, dict[str, int]]
Ranking = dict[str, dict[str, float]]


def relevant_only(qrels: Judged) -> Judged:
    """Keep gains > 0 and the queries that have at least one (ranx's convention for relevance)."""
    kept = {q: {t: g for t, g in d.items() if g > 0} for q, d in qrels.items()}
    return {q: d for q, d in kept.items() if d}


def per_query(qrels: Judged, run: Ranking, metrics: tuple[str, ...] = METRICS) -> dict[str, dict[str, float]]:
    """metric → {query: value}; a query missing from the run scores 0."""
    judged = relevant_only(qrels)
    filled = {q: (run.get(q) or {"__none__": 0.0}) for q in judged}
    rq, rr = Qrels(judged), Run(filled)
    out = {}
    for metric in metrics:
        evaluate(rq, rr, metric, save_results_in_run=True)
        out[metric] = {q: float(v) for q, v in rr.scores[metric].items()}
    return out


def write_trec_runs(folder: Path, runs: dict[str, Ranking]) -> list[Path]:
    """One TREC run file per system (`QID Q0 DOCID RANK SCORE SYSTEM`), readable by trec_eval, ranx, ir_measures."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for system, run in runs.items():
        path = folder / f"{system}.run"
        with path.open("w", encoding="utf-8") as out:
            for qid in sorted(run):
                ranked = sorted(run[qid].items(), key=lambda kv: (-kv[1], kv[0]))
                out.writelines(
                    f"{qid} Q0 {doc} {rank} {score:.6f} {system}\n" for rank, (doc, score) in enumerate(ranked, 1)
                )
        written.append(path)
    return written


def bootstrap_ci(values: np.ndarray, rounds: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean."""
    if len(values) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(rounds, len(values)), replace=True).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def paired_p(a: dict[str, float], b: dict[str, float]) -> float:
    """Two-sided paired t-test p-value over the queries of `a` (1.0 when the two are identical)."""
    keys = sorted(a)
    x, y = np.array([a[k] for k in keys]), np.array([b.get(k, 0.0) for k in keys])
    if len(keys) < 2 or np.allclose(x, y):
        return 1.0
    return float(stats.ttest_rel(x, y).pvalue)


def summarize(
    qrels: Judged, runs: dict[str, Ranking], baseline: str = "bm25", metrics: tuple[str, ...] = METRICS
) -> dict[str, Any]:
    """Per system: mean, 95% CI and p-value against the baseline for every metric, plus per-query values."""
    values = {name: per_query(qrels, run, metrics) for name, run in runs.items()}
    systems: dict[str, Any] = {}
    for name, by_metric in values.items():
        systems[name] = {}
        for metric, per_q in by_metric.items():
            arr = np.array(list(per_q.values()))
            low, high = bootstrap_ci(arr)
            p = paired_p(per_q, values[baseline][metric]) if baseline in values and name != baseline else None
            systems[name][metric] = {
                "mean": round(float(arr.mean()), 4),
                "ci95": [round(low, 4), round(high, 4)],
                "p_vs_" + baseline: None if p is None else round(p, 4),
            }
    return {"systems": systems, "per_query": values, "queries": len(relevant_only(qrels))}

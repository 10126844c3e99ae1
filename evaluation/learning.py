"""What judgements buy: a simulated labeller on judged data. For each seed the judged needs split into a pool
(70 %) and held-out needs (30 %); the labeller judges pool pairs chosen by `label/select.py` (active or random) or
from the top of the signals' lists (`learning_top.py`; only judged pairs can be chosen, and a chosen pair's judgement
is revealed from the qrels), the ranker is refitted
after 25, 50, 100, … judgements, and nDCG@10 and ECE are measured on the held-out needs — against dense retrieval
and the ranker trained on the whole pool.

One fixed configuration is refitted at every step (pairwise-linear, C = 0.1: fits on a handful of pairs and in
milliseconds) rather than the grid `matcher train` searches; before the first fit, selection reads the fused rank
as the probability. ECE is that of the ranker's own isotonic map (fitted on the judged pairs), on held-out pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluation.charts import SYSTEM_ZH
from evaluation.learning_top import Columns, TopLabeller
from matcher.label.select import Candidate, choose, percentiles
from matcher.ranking.calibration import reliability
from matcher.ranking.cv import JudgedSet
from matcher.ranking.expert.features import EXPERT_FEATURES
from matcher.ranking.model import Ranker, relevant_at
from matcher.ranking.outcome.features import FEATURES
from matcher.ranking.qrels import Qrels, evaluate_run
from matcher.search.degree import probabilities

BUDGETS = (25, 50, 100, 200, 400, 800)
HELD_OUT = 0.3
METRIC = "ndcg@10"
CONFIG: dict[str, Any] = {"objective": "pairwise-linear", "C": 0.1}
Progress = Callable[[int], None] | None


@dataclass(frozen=True)
class Signals:
    """Where a level's feature rows hold the signals the loop reads: the fused retrieval (the cold-start order and
    a reference), BM25 and dense (disagreement; dense is the other reference)."""

    features: Sequence[str]
    fused: str
    bm25: str
    dense: str

    def column(self, name: str) -> int:
        return list(self.features).index(name)


OUTCOME = Signals(FEATURES, fused="rrf", bm25="bm25", dense="dense_cos")
EXPERT = Signals(EXPERT_FEATURES, fused="vote_hybrid", bm25="vote_bm25", dense="vote_dense")  # the roll-up's votes
STRATEGIES = ("active", "random", "top")
NAMES = {"active": "主动选择", "random": "随机选择", "top": "从顶部判断", "dense": SYSTEM_ZH["dense"],
         "fused": SYSTEM_ZH["hybrid"], "whole pool": "用全部判断训练的排序模型"}  # fmt: skip


def _figures(
    ts: JudgedSet, qrels: Qrels, rows: np.ndarray, scores: np.ndarray, probs: np.ndarray | None
) -> dict[str, float]:
    """nDCG@10 of ranking each held-out need's judged pairs by `scores`; ECE of `probs` (P(relevant) where
    relevant is the ranker's own line: grade ≥ 2 on 0–3 grades)."""
    found = {"ndcg@10": round(evaluate_run(qrels, ts.run(rows, scores), METRIC), 4)}
    if probs is not None:
        found["ece"] = reliability(probs, (ts.y[rows] >= relevant_at(ts.y)).astype(float))["ece"]
    return found


def _fit(ts: JudgedSet, rows: np.ndarray, y: np.ndarray | None = None) -> Ranker | None:
    """The fixed configuration fitted on `rows` (labels `y`, default their judgements), or None while they hold no
    need with two different grades."""
    y, g = ts.y[rows] if y is None else y, ts.groups[rows]
    if not any(len(set(y[g == q])) > 1 for q in set(g.tolist())):
        return None
    return Ranker(**CONFIG).fit(ts.X[rows], y, g)


def _scored(
    ts: JudgedSet, model: Ranker | None, rows: np.ndarray, signals: Signals
) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores to rank `rows` by — the model's, or the fused retrieval's before there is one — and probabilities."""
    if model is None:
        return ts.X[rows, signals.column(signals.fused)], None
    raw = model.decision_function(ts.X[rows])
    return raw, probabilities(model.degree_of(raw))


def candidates(ts: JudgedSet, rows: np.ndarray, model: Ranker | None, signals: Signals = OUTCOME) -> list[Candidate]:
    """The pool's pairs as the served loop sees them: probability and the signals' rank percentiles per need."""
    scores, probs = _scored(ts, model, rows, signals)
    found: list[Candidate] = []
    for q in np.unique(ts.groups[rows]):
        mine = np.flatnonzero(ts.groups[rows] == q)
        ranks = [percentiles(ts.X[rows[mine], signals.column(f)].tolist()) for f in (signals.bm25, signals.dense)]
        ranks.append(percentiles(scores[mine].tolist()))
        p = probs[mine] if probs is not None else 1.0 - np.asarray(ranks[-1])  # cold start: the fused rank
        for j, i in enumerate(mine):
            found.append(Candidate(ts.queries[q], str(rows[i]), float(p[j]), tuple(r[j] for r in ranks)))
    return found


def curve(
    ts: JudgedSet,
    qrels: Qrels,
    pool: np.ndarray,
    test: np.ndarray,
    strategy: str,
    seed: int,
    line: float,
    signals: Signals = OUTCOME,
) -> list[dict[str, Any]]:
    """One labeller: the held-out figures after each budget (and after the whole pool)."""
    budgets = [b for b in BUDGETS if b < len(pool)] + [len(pool)]
    labelled: list[int] = []
    model: Ranker | None = None
    points = []
    columns = Columns(*(signals.column(f) for f in (signals.fused, signals.bm25, signals.dense)))
    top = TopLabeller(ts, pool, columns, line, seed) if strategy == "top" else None
    for budget in budgets:
        if budget == len(pool):  # every pool pair judged: nothing left to choose (and no O(n²) greedy over it)
            labelled = pool.tolist()
        elif top is not None:
            labelled = list(top.judge_until(budget, model))
        else:
            done = {(ts.queries[ts.groups[r]], str(r)) for r in labelled}
            picked = choose(candidates(ts, pool, model, signals), budget - len(labelled), line=line, done=done,
                            strategy=strategy, seed=seed + budget)  # fmt: skip
            labelled += [int(c.target) for c in picked]
        model = top.fit_rows(_fit) if top is not None and budget < len(pool) else _fit(ts, np.asarray(labelled))
        scores, probs = _scored(ts, model, test, signals)
        fitted = {"fitted": float(model is not None)}  # before a first fit the fused retrieval is what ranks
        found = {"relevant": int((ts.y[labelled] >= relevant_at(ts.y)).sum())}  # relevant pairs among them
        points.append({"judgements": len(labelled), **fitted, **found, **_figures(ts, qrels, test, scores, probs)})
    return points


def split(ts: JudgedSet, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the pool needs and of the held-out needs."""
    needs = np.random.default_rng(seed).permutation(len(ts.queries))
    cut = round(len(needs) * HELD_OUT)
    held = set(needs[:cut].tolist())
    test = np.flatnonzero([g in held for g in ts.groups])
    return np.setdiff1d(np.arange(len(ts.y)), test), test


def learning_curves(
    ts: JudgedSet,
    qrels: Qrels,
    *,
    seeds: int = 5,
    line: float = 0.3,
    signals: Signals = OUTCOME,
    progress: Progress = None,
    strategies: tuple[str, ...] = STRATEGIES,
) -> dict[str, Any]:
    """The strategies' curves over `seeds` splits, with the dense, fused and whole-pool references."""
    runs: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in strategies}
    references: dict[str, list[dict[str, Any]]] = {"dense": [], "fused": [], "whole pool": []}
    for seed in range(seeds):
        pool, test = split(ts, seed)
        for name, feature in (("dense", signals.dense), ("fused", signals.fused)):
            references[name].append(_figures(ts, qrels, test, ts.X[test, signals.column(feature)], None))
        whole = _fit(ts, pool)
        references["whole pool"].append(_figures(ts, qrels, test, *_scored(ts, whole, test, signals)))
        for strategy in runs:
            runs[strategy].append(curve(ts, qrels, pool, test, strategy, seed, line, signals))
            if progress:
                progress(1)
    summary = {name: _mean_points(points) for name, points in runs.items()}
    refs = {name: _mean(figs) for name, figs in references.items()}
    return {
        "protocol": __doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else "",
        "needs": len(ts.queries),
        "pairs": len(ts.y),
        "seeds": seeds,
        "config": CONFIG,
        "curves": summary,
        "references": refs,
        "to_reach": {name: _first_reaching(summary[name], refs) for name in summary},
    }


def _mean(figs: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean and spread over seeds of each figure (over the seeds that have it: before a first fit, no ECE)."""
    found: dict[str, float] = {}
    for key in dict.fromkeys(k for f in figs for k in f):
        values = [f[key] for f in figs if key in f]
        found[key], found[f"{key}_std"] = round(float(np.mean(values)), 4), round(float(np.std(values)), 4)
    return found


def _mean_points(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The seeds' points averaged budget by budget (the last, 'all', by position: pools differ in size)."""
    length = min(len(r) for r in runs)
    return [_mean([r[i] for r in runs]) for i in range(length)]


def _first_reaching(points: list[dict[str, Any]], refs: dict[str, dict[str, float]]) -> dict[str, int | None]:
    """Judgements after which the mean curve, with a ranker fitted in every seed, first reaches each reference's
    mean nDCG@10 (None: never)."""
    fitted = [p for p in points if p["fitted"] == 1.0]
    return {
        name: next((round(p["judgements"]) for p in fitted if p["ndcg@10"] >= ref["ndcg@10"]), None)
        for name, ref in refs.items()
    }


def render_html(found: dict[str, Any]) -> str:
    """The learning-curve report (Chinese, self-contained)."""
    from evaluation import charts
    from evaluation.report import CSS

    rows = []
    for name in found["curves"]:
        label = NAMES[name]
        for p in found["curves"][name]:
            ece = f"{p['ece']:.3f} ± {p['ece_std']:.3f}" if "ece" in p else "—"
            ece += "" if p["fitted"] == 1.0 else f"（{p['fitted']:.0%} 的划分已能训练模型，其余仍按融合检索）"
            rows.append(f"<tr><td>{label}</td><td>{p['judgements']:.0f}</td><td>{p['relevant']:.1f}</td>"
                        f"<td>{p['ndcg@10']:.4f} ± {p['ndcg@10_std']:.4f}</td><td>{ece}</td></tr>")  # fmt: skip
    refs = "；".join(f"{NAMES[n]} nDCG@10 {r['ndcg@10']:.4f}" for n, r in found["references"].items())
    reach = "；".join(
        f"{NAMES[s]}：达到{NAMES['dense']}需 {_words(t['dense'])}，达到{NAMES['fused']}需 {_words(t['fused'])}，"
        f"达到全部判断训练的水平需 {_words(t['whole pool'])}"
        for s, t in found["to_reach"].items()
    )
    body = (
        "<h1>标注的收益：学习曲线</h1>"
        f"<div class='sub'>{found['needs']} 条有评判的需求、{found['pairs']} 个评判对；{found['seeds']} 个随机划分"
        "（70% 需求供标注、30% 留出评估），数值为均值 ± 标准差（开发集数据）。</div>"
        f"<div class='card'>{charts.learning(found['curves'], found['references'], NAMES)}</div>"
        f"<div class='card'><p>参照：{refs}。</p><p>{reach}。</p></div>"
        "<div class='card'><table><tr><th>选择方式</th><th>判断数</th><th>其中相关</th><th>nDCG@10</th>"
        "<th>ECE</th></tr>"
        f"{''.join(rows)}</table></div>"
    )
    return (
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>标注学习曲线</title>"
        f"<style>{CSS}</style><main>{body}</main></html>"
    )


def _words(n: int | None) -> str:
    return f"约 {n} 条判断" if n is not None else "在现有判断内未达到"

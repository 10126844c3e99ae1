"""Judgements as {need id: {target id: gain}}: TREC qrels files read, and runs scored against them (staff feedback
as judgements: `services/feedback.feedback_qrels`)."""

from __future__ import annotations

from pathlib import Path

from matcher.errors import InputError

Qrels = dict[str, dict[str, int]]
Ranking = dict[str, dict[str, float]]


def read_qrels(path: Path) -> Qrels:
    """TREC qrels `QUERY 0 TARGET GAIN` → {query: {target: gain}}."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    qrels: Qrels = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            raise InputError(f"{path}:{number}: expected `QUERY 0 TARGET GAIN`, got {line!r}")
        qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def evaluate_run(qrels: Qrels, run: Ranking, metric: str) -> float:
    """Mean `metric` (a ranx name such as "ndcg@10" or "mrr") over the run's queries that have a relevant target."""
    from ranx import Qrels as RQrels
    from ranx import Run, evaluate

    positive = {q: {t: g for t, g in d.items() if g > 0} for q, d in qrels.items() if q in run}
    positive = {q: d for q, d in positive.items() if d}
    if not positive:
        return 0.0
    return float(evaluate(RQrels(positive), Run({q: run[q] for q in positive}), metric))

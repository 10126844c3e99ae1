"""The reverse ranker (成果找需求) in `matcher evaluate --direction outcome`: each judged outcome's candidate needs
(the head of the reverse search, `learn/reverse_rows.py`) scored by a model that never saw the outcome — nested CV
grouped by outcome (`--ranker cv`), or the reverse ranker served now (`--ranker active`: one fitted on another
corpus, MATCHER_REVERSE_MODEL) — beside the fused vote over the same candidates; and 找企业 as served, the
enterprises a probe's needs roll up to, judged through their needs' grades."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import select

from matcher.learn.reverse_rows import reverse_judged_set
from matcher.levels import ENTERPRISES, NEEDS
from matcher.match import forward, reverse
from matcher.ranking.cv import JudgedSet, nested_folds
from matcher.ranking.model import Ranker
from matcher.ranking.qrels import Qrels, Ranking
from matcher.ranking.reverse.features import REVERSE_FEATURES
from matcher.ranking.reverse.train import REVERSE_RANKER
from matcher.search.probe import Probe
from matcher.store.tables import Need
from matcher.text.normalize import institution_key
from matcher.workspace.context import Context

VOTE = REVERSE_FEATURES.index("vote")


def fused_run(ts: JudgedSet) -> Ranking:
    """The served fused vote over the same candidates (what serves without a reverse ranker)."""
    return ts.run(np.arange(len(ts.y)), ts.X[:, VOTE])


def nested_run(
    ts: JudgedSet, inverted: Qrels, folds: int = 5, progress: Callable[[int], None] | None = None
) -> tuple[Ranking, dict[str, Any]]:
    """Scores for each outcome's candidates from a model chosen and fitted on the other outcomes only."""
    scores = np.zeros(len(ts.y))
    chosen = []
    split = np.array(ts.queries)[ts.groups]
    grid, how = list(REVERSE_RANKER.grid), REVERSE_RANKER.selection
    for model, best, test in nested_folds(ts, inverted, Ranker, grid, how, split=split, outer=folds):
        rows = ts.rows_of(test)
        scores[rows] = model.decision_function(ts.X[rows])
        chosen.append(best)
        if progress:
            progress(1)
    info = {"protocol": f"reverse ranker, nested {folds}-fold CV grouped by outcome", "chosen_per_fold": chosen}
    return ts.run(np.arange(len(ts.y)), scores), info


def served_run(model: Ranker, ts: JudgedSet) -> Ranking:
    """The candidates scored by a reverse ranker fitted elsewhere (never on these outcomes)."""
    return ts.run(np.arange(len(ts.y)), model.probability_of(model.decision_function(ts.X)))


def enterprise_qrels(ctx: Context, inverted: Qrels) -> Qrels:
    """An enterprise's grade for an outcome: the best grade of its judged needs (by organisation name)."""
    with ctx.session() as session:
        org = {nid: o for nid, o in session.execute(select(Need.id, Need.organization)) if o}
    found: Qrels = {}
    for outcome, needs in inverted.items():
        for need, gain in needs.items():
            if need in org:
                key = institution_key(org[need])
                found.setdefault(outcome, {})[key] = max(gain, found.get(outcome, {}).get(key, gain))
    return found


def enterprise_run(
    ctx: Context, probes: dict[str, Probe], top: int = 100, progress: Callable[[int], None] | None = None
) -> tuple[Ranking, Ranking]:
    """找企业 as served: each probe's enterprises (by organisation name) and, for 成果找需求, its needs."""
    enterprises: Ranking = {}
    needs: Ranking = {}
    for qid, probe in probes.items():
        if progress:
            progress(1)
        found = reverse.reverse(ctx, probe, target=ENTERPRISES, top=top)
        enterprises[qid] = {institution_key(h.name): float(h.score) for h in found.hits}
        listed = reverse.reverse(ctx, probe, target=NEEDS, top=top)
        needs[qid] = {h.id: float(len(listed.hits) - h.rank + 1) for h in listed.hits}
    return enterprises, needs


def ranker_runs(ctx: Context, judged: Qrels, mode: str) -> tuple[dict[str, Ranking], dict[str, Any] | None]:
    """The reverse ranker's run (`mode` cv: nested CV; active: the one served now, if any) and the fused vote's
    over the same candidate needs."""
    ts, inverted = reverse_judged_set(ctx, judged)
    runs = {"reverse-fused": fused_run(ts)}
    if mode == "cv":
        runs["reverse-ranker"], info = nested_run(ts, inverted)
        return runs, info
    loaded, _ = forward.served_ranker(ctx, NEEDS)
    if loaded is None:
        return runs, None
    runs["reverse-ranker"] = served_run(loaded.model, ts)
    return runs, {"protocol": "the reverse ranker served (fitted on other judgements)", "name": loaded.name,
                  "sources": loaded.params.get("sources"), "levels": loaded.params.get("levels")}  # fmt: skip

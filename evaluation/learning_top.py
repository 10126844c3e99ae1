"""The simulated labeller that judges from the top (`label/top.py`, `label/bandit.py`): the pool's needs in a seeded
order, one at a time; each pick is the need's best unjudged candidate in the list a MaxMean bandit chooses — BM25,
dense, the fused retrieval, and once a ranker is fitted the ranker's list and the near-the-line/disagreement rule
(`label/select.py`) inside the fused top 30 — and its grade is revealed at once from the qrels and rewards the arm.
A need stops at its first relevant grade (the ranker's own line) or after `k` judgements. The ranker is then fitted
on the judgements and on presumed negatives: every unjudged candidate of a need whose right answer was found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matcher.label.bandit import MaxMean
from matcher.label.select import Candidate, percentiles
from matcher.label.top import ARMS, K, NeedLists, choose_top, is_open, lists_of
from matcher.ranking.cv import JudgedSet
from matcher.ranking.model import Ranker, relevant_at
from matcher.search.degree import probabilities

Fit = Callable[[JudgedSet, np.ndarray, np.ndarray], Ranker | None]


@dataclass(frozen=True)
class Columns:
    """Where the feature rows hold the three retrieval signals (`learning.Signals` columns)."""

    fused: int
    bm25: int
    dense: int


@dataclass
class TopLabeller:
    """One seed's labeller; `judge_until` continues where the previous budget stopped."""

    ts: JudgedSet
    pool: np.ndarray
    columns: Columns
    line: float
    seed: int
    k: int = K
    bandit: MaxMean = field(default_factory=lambda: MaxMean(ARMS))
    labelled: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        groups = self.ts.groups[self.pool]
        needs = np.unique(groups)
        self.order = [int(q) for q in np.random.default_rng(self.seed).permutation(needs)]
        self.rows = {int(q): self.pool[groups == q] for q in needs}
        self.judged = dict.fromkeys(self.order, 0)
        self.found = dict.fromkeys(self.order, False)
        self.done: set[tuple[str, str]] = set()
        self.at = 0  # the need in progress: self.order[self.at]
        self.relevant = relevant_at(self.ts.y)
        self._lists: dict[int, dict[str, list[str]]] = {}

    def judge_until(self, budget: int, model: Ranker | None) -> list[int]:
        """Judge until `budget` pairs are judged in all (or every need has stopped); the rows judged so far."""
        self._lists = {}  # a new model: the ranker's and the near-the-line lists change
        while len(self.labelled) < budget and self.at < len(self.order):
            q = self.order[self.at]
            qid = self.ts.queries[q]
            need = NeedLists(qid, self._lists_of(q, model), self.judged[q], self.found[q])
            picks = choose_top([need], 1, bandit=self.bandit, done=self.done, k=self.k)
            if not picks:  # stopped, or nothing left to judge in any list
                self.at += 1
                continue
            row = int(picks[0].target)
            hit = bool(self.ts.y[row] >= self.relevant)
            self.bandit.reward(picks[0].arm, hit)
            self.done.add(picks[0].key)
            self.labelled.append(row)
            self.judged[q] += 1
            self.found[q] = self.found[q] or hit
            if not is_open(NeedLists(qid, judged=self.judged[q], found=self.found[q]), self.k):
                self.at += 1
        return self.labelled

    def fit_rows(self, fit: Fit) -> Ranker | None:
        """`fit` on the judged rows plus every unjudged candidate of each need with a relevant judgement, presumed
        not relevant (continuous active learning's presumed negatives: one right answer per need, and the judged
        misses all sit above the hit in the lists, so on judgements alone a pairwise ranker learns the signals
        backwards)."""
        rows, y = presumed(self.ts, self.labelled, [self.rows[q] for q, hit in self.found.items() if hit])
        return fit(self.ts, rows, y)

    def _lists_of(self, q: int, model: Ranker | None) -> dict[str, list[str]]:
        if q not in self._lists:
            self._lists[q] = need_lists(self.ts, self.rows[q], self.columns, model, self.line)
        return self._lists[q]


def need_lists(
    ts: JudgedSet, rows: np.ndarray, columns: Columns, model: Ranker | None, line: float
) -> dict[str, list[str]]:
    """One need's rows (as strings) in each arm's order (`top.lists_of`), the candidates as the served loop sees
    them: in fused order, with the ranker's probability (before one, the fused rank's) and the signals' ranks."""
    rows = rows[np.argsort(-ts.X[rows, columns.fused], kind="stable")]
    if model is None:
        served, probs = ts.X[rows, columns.fused], None
    else:
        served = model.decision_function(ts.X[rows])
        probs = probabilities(model.degree_of(served))
    ranks = [percentiles(ts.X[rows, c].tolist()) for c in (columns.bm25, columns.dense)]
    ranks.append(percentiles(served.tolist()))
    p = probs if probs is not None else 1.0 - np.asarray(ranks[-1])
    found = [Candidate("", str(r), float(p[i]), tuple(rk[i] for rk in ranks)) for i, r in enumerate(rows)]
    return lists_of(found, ranked=model is not None, line=line)


def presumed(ts: JudgedSet, labelled: list[int], hit_needs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Training rows and labels: the judged rows with their grades, then the unjudged rows of `hit_needs` as 0."""
    judged = set(labelled)
    extra = [int(r) for rows in hit_needs for r in rows if int(r) not in judged]
    return np.asarray(labelled + extra, dtype=int), np.concatenate([ts.y[labelled], np.zeros(len(extra))])

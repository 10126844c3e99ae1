"""A model-free check of judgements before any model learns from them: do their grades run with plain retrieval or
against it? Within each need, every two judged pairs with different grades are compared with the keyword (BM25)
score and the dense cosine of the two outcomes: the pair agrees when the better-graded outcome also scores higher,
disagrees when it scores lower (ties count for neither). Kendall's tau-a over those pairs is
(agree − disagree) / (agree + disagree).

Real staff judgements agree with retrieval far more often than not (the demo's: both taus clearly positive);
inverting every grade swaps agree and disagree exactly, so inverted judgements have both taus negative and are
refused as likely inverted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.ranking.cv import JudgedSet
from matcher.ranking.outcome.features import FEATURES

SIGNALS = {"bm25": "关键词检索", "dense_cos": "语义检索"}


@dataclass(frozen=True)
class Agreement:
    compared: int  # pairs of one need's judged outcomes with different grades
    agree: dict[str, int]  # by signal
    disagree: dict[str, int]

    def tau(self, signal: str) -> float:
        both = self.agree[signal] + self.disagree[signal]
        return (self.agree[signal] - self.disagree[signal]) / both if both else 0.0

    @property
    def inverted(self) -> bool:
        """Every signal runs against the grades."""
        return self.compared > 0 and all(self.tau(s) < 0 for s in SIGNALS)

    def reason(self) -> str:
        against = "，".join(f"{self.disagree[s]} 组与{words}的先后相反" for s, words in SIGNALS.items())
        return (
            f"判断与检索结果大体相反，疑似评分颠倒，未重新训练：同一需求下评分不同的 {self.compared} 组成果对中，"
            f"{against}；请核对这些判断后再训练"
        )

    def figures(self) -> dict[str, object]:
        return {"compared": self.compared, "agree": self.agree, "disagree": self.disagree,
                "tau": {s: round(self.tau(s), 4) for s in SIGNALS}}  # fmt: skip


def _count(grades: np.ndarray, scores: np.ndarray) -> tuple[int, int, int]:
    """(pairs with different grades, agreeing, disagreeing) among one need's judged outcomes."""
    dg = np.sign(grades[:, None] - grades[None, :])
    ds = np.sign(scores[:, None] - scores[None, :])
    upper = np.triu(np.ones_like(dg, dtype=bool), 1) & (dg != 0)
    product = (dg * ds)[upper]
    return int(upper.sum()), int((product > 0).sum()), int((product < 0).sum())


def agreement(ts: JudgedSet) -> Agreement:
    """How the judged set's grades agree with each retrieval signal, over every need."""
    compared, agree, disagree = 0, dict.fromkeys(SIGNALS, 0), dict.fromkeys(SIGNALS, 0)
    for group in np.unique(ts.groups):
        rows = ts.groups == group
        for signal in SIGNALS:
            n, a, d = _count(ts.y[rows], ts.X[rows, FEATURES.index(signal)])
            agree[signal] += a
            disagree[signal] += d
        compared += n
    return Agreement(compared, agree, disagree)

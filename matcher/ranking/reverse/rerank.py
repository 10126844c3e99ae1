"""Re-score a probe's candidate needs with the reverse ranker: the head of the found list ordered by the model,
each need's score its served probability (strictly increasing in the raw score, so the 匹配度 map keeps the order)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from matcher.ranking.model import Ranker
from matcher.search.needs import Found

DEPTH = 100  # candidate needs the reverse ranker re-scores (and trains on): an enterprise roll-up reads 100


def rerank_needs(model: Ranker, X: np.ndarray, head: list[Found]) -> list[Found]:
    """`head` (rows of X) ordered by the ranker, best first (ties keep the vote's order), each scored by it."""
    if not head:
        return []
    raw = model.decision_function(X)
    served = model.probability_of(raw)
    order = np.argsort(-raw, kind="stable")
    return [replace(head[i], score=float(served[i])) for i in order]


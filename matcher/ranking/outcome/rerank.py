"""Re-score the head of a fused candidate list with the outcome ranker, with reasons for the top candidates."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.ranking.model import Ranker
from matcher.ranking.outcome.reasons import explain_rows
from matcher.search.degree import degree
from matcher.search.results import Scored

EXPLAINED = 30  # candidates whose ranker reasons are computed (enough for the evidence of the top hits)


def rerank(model: Ranker, X: np.ndarray, head: list[Scored]) -> tuple[list[Scored], dict[int, list[dict[str, Any]]]]:
    """`head` (rows of X) ordered by the ranker; each score becomes the 0–1 match score, the components record
    the 0–100 one. Returns the reordered candidates and outcome pk → reasons for the best EXPLAINED."""
    raw = model.decision_function(X)
    served = model.probability_of(raw)  # strictly increasing in raw: the order survives the 匹配度 map
    shown = degree(served)
    order = np.argsort(-raw, kind="stable")
    top = order[:EXPLAINED]
    reasons = dict(zip((head[i].pk for i in top), explain_rows(model, X[top]), strict=True))
    rescored = []
    for i in order:
        comp = head[i].components
        comp.model = float(shown[i])
        rescored.append(Scored(head[i].pk, float(served[i]), comp))
    return rescored, reasons

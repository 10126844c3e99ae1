"""What training the outcome ranker means: its configuration grid and selection (nDCG@10 with the
one-standard-error rule) over judged (need, outcome) pairs, each a row of `features.FEATURES` (`learn/rows.py`
builds them)."""

from __future__ import annotations

from itertools import product
from typing import Any

from matcher.ranking.cv import Selection
from matcher.ranking.outcome.features import DESCRIPTIONS, FEATURES
from matcher.ranking.training import RankerSpec

GRID: list[dict[str, Any]] = [
    *({"objective": "pairwise-linear", "C": c} for c in (0.01, 0.1, 1.0)),
    *({"objective": "pointwise-linear", "alpha": a} for a in (1.0, 100.0)),
    *(
        {"objective": "pointwise-gbdt", "max_depth": d, "learning_rate": lr, "max_iter": 150}
        for d, lr in product((2, 3), (0.03, 0.1))
    ),
]
OUTCOME_RANKER = RankerSpec(
    features=FEATURES,
    descriptions=DESCRIPTIONS,
    grid=tuple(GRID),
    selection=Selection(metric="ndcg@10", folds=5, rule="one-se"),
    purpose="Re-scores the top candidate outcomes of matcher's hybrid retrieval (BM25 + dense) for an enterprise "
    "need, and gives a calibrated 0–100 match score with the features that drove it. Expert and institution "
    "rankings are roll-ups of these outcome scores.",
    pairs="(need, outcome) pairs",
)

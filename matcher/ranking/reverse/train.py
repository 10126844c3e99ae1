"""What training the reverse ranker means: its configuration grid and selection (nDCG@10, the one-standard-error
rule, folds grouped by outcome) over each judged outcome's candidate needs, rows of
`features.REVERSE_FEATURES` (`learn/reverse_rows.py` builds them)."""

from __future__ import annotations

from typing import Any

from matcher.ranking.cv import Selection
from matcher.ranking.reverse.features import DESCRIPTIONS, REVERSE_FEATURES
from matcher.ranking.training import RankerSpec

# linear only: trees lost in CV on the demo judgements (nDCG@10 0.753 / 0.748 against 0.763, 5 folds by outcome)
# and take minutes a fit on BDCI dev's 196,200 candidate rows
GRID: list[dict[str, Any]] = [
    *({"objective": "pairwise-linear", "C": c} for c in (0.01, 0.1, 1.0)),
    *({"objective": "pointwise-linear", "alpha": a} for a in (1.0, 100.0)),
]
REVERSE_RANKER = RankerSpec(
    features=REVERSE_FEATURES,
    descriptions=DESCRIPTIONS,
    grid=tuple(GRID),
    selection=Selection(metric="ndcg@10", folds=5, rule="one-se"),
    purpose="Re-orders the needs matcher's reverse search (成果找需求: BM25 + dense over the need index, voted over "
    "the probe's outcomes) found for an outcome, an expert or an institution; 找企业 rolls the re-scored needs up "
    "to enterprises. Its served score is a probability of relevance, strictly increasing in the raw score.",
    pairs="(outcome, candidate need) rows",
    query="outcome",
)

"""Weight-space ensembling of the tuned and the base encoder (WiSE-FT, Wortsman et al. 2022): the served weights are
`alpha · tuned + (1 − alpha) · base`, with `alpha` chosen on held-out pairs among `ALPHAS`.

Contrastive tuning on a few thousand pairs pulls each query toward its own group and loses some of what the base
model knew. Measured on 2026-12-05 (NSFC dev needs, dense retrieval alone, each expert scored by their best
outcome, one tuning on the corpus's own pairs): MRR / Recall@100 0.168 / 0.507 for the base, 0.151 / 0.511 fully
tuned, 0.172 / 0.534 at alpha 0.3, 0.173 / 0.535 at 0.5, 0.167 / 0.528 at 0.7. The tuner chooses without dev
data: each blend ranks the held-out pairs' passages among corpus distractors (`train.held_out_mrr`).
docs/evaluation.md ("The bundled e5 on PyTorch, and tuning it") keeps that check's current figures, and the expert
ranker's under the blend the tuner chose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ALPHAS = (0.25, 0.5, 0.75, 1.0)


def formula(alpha: float) -> str:
    """How a blend reads in a card or on the console: `0.75 · tuned + 0.25 · base`."""
    return f"{alpha} · tuned + {1 - alpha:g} · base"


def blended_state(base: dict[str, Any], tuned: dict[str, Any], alpha: float) -> dict[str, Any]:
    """`alpha · tuned + (1 − alpha) · base` for every parameter the tuning changed; the others stay the base's."""
    return {k: alpha * tuned[k] + (1 - alpha) * v if k in tuned else v for k, v in base.items()}


def best_blend(
    model: Any,
    base: dict[str, Any],
    tuned: dict[str, Any],
    score: Callable[[], float],
    alphas: tuple[float, ...] = ALPHAS,
) -> tuple[float, dict[float, float]]:
    """Score `model` under each blend, leave it holding the best one (a tie goes to the smaller step from the
    base); that alpha and every blend's score."""
    scores = {}
    for alpha in alphas:
        model.load_state_dict(blended_state(base, tuned, alpha), strict=False)
        scores[alpha] = score()
    best = max(alphas, key=lambda a: (scores[a], -a))
    model.load_state_dict(blended_state(base, tuned, best), strict=False)
    return best, scores

"""Is the 匹配度 a probability? Reliability bins and expected calibration error (ECE) of predicted probabilities of
relevance against judged labels."""

from __future__ import annotations

from typing import Any

import numpy as np


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Equal-width bins over [0, 1]: mean prediction, observed share of relevant pairs and count per non-empty bin,
    and ECE = Σ (count / n) · |observed − predicted|."""
    probs, labels = np.asarray(probs, float), np.asarray(labels, float)
    which = np.minimum((probs * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append(
                {
                    "bin": b,
                    "predicted": float(probs[mask].mean()),
                    "observed": float(labels[mask].mean()),
                    "count": int(mask.sum()),
                }
            )
    n = len(probs)
    ece = sum(r["count"] / n * abs(r["observed"] - r["predicted"]) for r in rows) if n else 0.0
    return {"ece": round(float(ece), 4), "pairs": n, "relevant": int(labels.sum()), "bins": rows}

"""Pseudo-relevance: the direction the head of a ranked list agrees on, as the unit mean of its vectors.

A candidate that agrees with the need's best candidates is more likely right than one that only matches the need's
words or vector by itself; the rankers read that agreement as features (`prf_cos` for outcomes, `cos_prf_max` for
experts). Used only as a feature: as query expansion in retrieval (Rocchio, the query plus half the head's mean) it
gained nothing on NSFC dev and under 0.015 of BDCI dev's fused Recall@200 (docs/evaluation.md).
"""

from __future__ import annotations

import numpy as np

PRF_TOP = 5  # BDCI dev, nested CV: 5 best of 3, 5, 10 on both protocols (docs/evaluation.md)


def unit_mean(vectors: np.ndarray) -> np.ndarray | None:
    """The mean of `vectors` (rows) scaled to unit length; None for no rows or a zero mean."""
    if len(vectors) == 0:
        return None
    mean = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None

"""The 匹配度 as shipped, band by band: for each band staff read (强匹配 / 可参考 / 弱匹配), how many judged pairs
fell in it, how many of them were relevant, and the mean 匹配度 shown — the figure that says whether 强匹配 means
what it says on data the maps never saw."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.search.degree import WORDS, Bands


def band_reliability(degrees: np.ndarray | None, labels: np.ndarray, bands: Bands) -> list[dict[str, Any]]:
    """Per band (strong, fair, weak; a band without pairs is left out): pairs, observed share of relevant pairs,
    mean 匹配度. `degrees` None (no map for the key): one row `uncalibrated` with the pairs and their share."""
    labels = np.asarray(labels, float)
    if degrees is None:
        share = float(labels.mean()) if len(labels) else 0.0
        return [{"band": "uncalibrated", "word": "尚未校准", "pairs": len(labels), "observed": round(share, 4),
                 "mean_degree": None}]  # fmt: skip
    degrees = np.asarray(degrees, float)
    which = np.array([bands.band(v) for v in degrees.tolist()])
    rows = []
    for band in ("strong", "fair", "weak"):
        mask = which == band
        if mask.any():
            rows.append({"band": band, "word": WORDS[band], "pairs": int(mask.sum()),
                         "observed": round(float(labels[mask].mean()), 4),
                         "mean_degree": round(float(degrees[mask].mean()), 1)})  # fmt: skip
    return rows

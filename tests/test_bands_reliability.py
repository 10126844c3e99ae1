"""The as-shipped reliability per band, by hand."""

from __future__ import annotations

import numpy as np

from evaluation.bands import band_reliability
from matcher.search.degree import Bands


def test_pairs_observed_relevance_and_mean_degree_per_band() -> None:
    degrees = np.array([80.0, 70.0, 65.0, 45.0, 35.0, 10.0, 5.0])
    labels = np.array([1, 0, 1, 1, 0, 0, 0])
    rows = band_reliability(degrees, labels, Bands(weak=30, strong=60))
    assert rows == [
        {"band": "strong", "word": "强匹配", "pairs": 3, "observed": round(2 / 3, 4), "mean_degree": 71.7},
        {"band": "fair", "word": "可参考", "pairs": 2, "observed": 0.5, "mean_degree": 40.0},
        {"band": "weak", "word": "弱匹配", "pairs": 2, "observed": 0.0, "mean_degree": 7.5},
    ]
    no_map = band_reliability(None, np.array([1, 0, 0, 0]), Bands())
    assert no_map == [{"band": "uncalibrated", "word": "尚未校准", "pairs": 4, "observed": 0.25, "mean_degree": None}]

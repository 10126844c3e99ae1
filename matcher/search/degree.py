"""The 匹配度: one scale, owned here — its range (0–100), its bands and their words, and every conversion.

匹配度 / 100 is the probability that staff would judge the pair relevant: the served score of a hit (a ranker's
calibrated probability, a roll-up vote, a reverse search's vote) mapped through the workspace's calibration for
its level (`ranking/calibration.py`, fitted out of fold on judgements). Below the weak line (MATCHER_WEAK_MATCH)
a hit is 弱匹配 — shown apart, never proposed; at or above the strong line (MATCHER_STRONG_MATCH) it is 强匹配;
between, 可参考. Scores of other scales stay in a hit's `components`, never in a label. A key without a map gives
no 匹配度 at all (degree and band None, the note UNCALIBRATED): never the raw score in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SCALE = 100.0
WORDS = {"strong": "强匹配", "fair": "可参考", "weak": "弱匹配"}
Calibrate = Callable[[str, np.ndarray], np.ndarray | None]  # (level, served scores) → probabilities, None: no map
UNCALIBRATED = "尚未校准：暂不显示匹配度，结果按排序和理由列出"


def degree(probability: float | np.ndarray) -> Any:
    """A probability of relevance as a 匹配度: 0–100, one decimal."""
    return np.round(np.clip(np.asarray(probability, dtype=float), 0.0, 1.0) * SCALE, 1)


def probability(value: float) -> float:
    """A 匹配度 as the probability it stands for."""
    return float(value) / SCALE


def probabilities(values: np.ndarray) -> np.ndarray:
    """匹配度 values (0–100) as the probabilities they stand for."""
    return np.asarray(values, dtype=float) / SCALE


def as_probability(scores: np.ndarray, full: float = 1.0) -> np.ndarray:
    """An uncalibrated score read as a probability: over the most it can be (`full`, a vote's), clipped to 0–1."""
    return np.clip(np.asarray(scores, float) / full, 0.0, 1.0)


@dataclass(frozen=True)
class Bands:
    weak: float = 30.0
    strong: float = 60.0

    @classmethod
    def of(cls, settings: Any) -> Bands:
        return cls(settings.weak_match, settings.strong_match)

    def band(self, value: float) -> str:
        return "weak" if value < self.weak else "strong" if value >= self.strong else "fair"

    def word(self, value: float) -> str:
        return WORDS[self.band(value)]

    def proposable(self, value: float | None) -> bool:
        """Whether a batch run, a pairing or a plan may propose a pair of this 匹配度 (none without one)."""
        return value is not None and value >= self.weak


WEAK_ADVICE = (
    "无强匹配：最高匹配度仅 {best:.0f}（低于 {limit:.0f}）。建议放宽地区或领域范围、补充需求的技术细节，"
    "或将需求发布到需求库、在对接会上征集合作方。"
)


def weak_notice(hits: list[Any], bands: Bands) -> str | None:
    """The 无强匹配 notice when no hit reaches the weak line (or there is none); None otherwise, and None when the
    hits have no 匹配度 (nothing to compare with the line)."""
    if hits and all(h.degree is None for h in hits):
        return None
    best = max((h.degree for h in hits if h.degree is not None), default=0.0)
    return None if best >= bands.weak else WEAK_ADVICE.format(best=best, limit=bands.weak)


def uncalibrated_notice(hits: list[Any]) -> str | None:
    """The 尚未校准 note when a hit (or its evidence) has no 匹配度."""
    evidence = (o for h in hits for o in getattr(h, "evidence", []) if hasattr(o, "degree"))  # not a probe's parts
    shown = [*hits, *evidence]
    return UNCALIBRATED if any(h.degree is None for h in shown) else None


def _set(hits: list[Any], probabilities: np.ndarray | None, bands: Bands) -> None:
    values = [None] * len(hits) if probabilities is None else degree(probabilities).tolist()
    for hit, value in zip(hits, values, strict=True):
        hit.degree, hit.band = value, None if value is None else bands.band(value)


def with_degrees(
    hits: list[Any], level: str, calibrate: Calibrate, bands: Bands, evidence_level: str | None = "outcome"
) -> list[Any]:
    """Set each hit's 匹配度 and band from its served score through the calibration of `level`; the outcomes
    shown as evidence get theirs through `evidence_level`'s (None: the evidence has its own already)."""
    if hits:
        _set(hits, calibrate(level, np.array([h.score for h in hits], dtype=float)), bands)
    evidence = [o for h in hits for o in getattr(h, "evidence", [])] if evidence_level else []
    if evidence and evidence_level:
        _set(evidence, calibrate(evidence_level, np.array([o.score for o in evidence], dtype=float)), bands)
    return hits

"""Calibration of the served scores into the 匹配度: per level and direction (outcome, expert, institution, needs,
enterprises), an isotonic map from the score a hit is served with to the probability that staff judge it relevant.

A map is fitted on (score, relevant) pairs gathered from judged needs (`learn/calibrate.py`), grouped by query:
out-of-fold predictions (GroupKFold) give the figures it is judged by — ECE, AUC, the reliability bins — and the map
kept is refitted on every pair. The artifact is a folder of plain files: `calibration.json` (per level: the map's
thresholds, its figures, the data it came from) and `params.json` (versions, checksums). A level without a map
falls back to the score itself, clipped to 0–1 (a ranker's probability already is one).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from matcher.artifacts.folder import MODEL, read_params, verify_files, write_params
from matcher.errors import InputError

FILE = "calibration.json"
CARD = "card.md"
CARD_TEXT = """# Model card: 匹配度 calibration `{name}`

**What it does.** Maps the score a hit is served with (per level and direction) onto the probability that staff
would judge the pair relevant (grade ≥ 2 of 0–3); the 匹配度 is that probability × 100. Isotonic regression, one
map per key; a key without a map falls back to the score clipped to 0–1.

**Fitted on.** The judgements named per key below, run through the served pipeline (embedder `{embedder}`; a
workspace with another embedder does not use these maps). Expert and institution judgements are derived from
outcome ones (a target's grade is the best grade of its judged outcomes); `needs:vote` inverts them (成果找需求).

**Figures.** Out of fold: 5 folds grouped by query, so no query's pairs are in both the fit and the figure.
ECE = Σ (bin count / n) · |observed − predicted| over 10 equal-width bins; AUC of the predictions.

| key | judgements | queries | pairs | relevant | ECE (out of fold) | AUC |
|---|---|---|---|---|---|---|
{rows}

**Limits.** Only as good as its judgements: few, partly subjective, and from the demo corpus; a deployment should
refit on its own (`matcher train --from-judgements` refits these maps after the ranker). With rare relevant pairs
(reverse matching) nearly every prediction falls in the lowest bin and the ECE is small by construction: read the
AUC and the reliability diagram of `matcher evaluate` beside it.
"""
LEVELS = ("outcome", "expert", "institution", "needs", "enterprises")
FOLDS = 5
BINS = 10


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> dict[str, Any]:
    """Equal-width bins over [0, 1]: mean prediction, observed share of relevant pairs and count per non-empty
    bin, ECE = Σ (count / n) · |observed − predicted|, and the AUC of the predictions (None with one class)."""
    probs, labels = np.asarray(probs, float), np.asarray(labels, float)
    which = np.minimum((probs * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append({"bin": b, "predicted": float(probs[mask].mean()), "observed": float(labels[mask].mean()),
                         "count": int(mask.sum())})  # fmt: skip
    n = len(probs)
    ece = sum(r["count"] / n * abs(r["observed"] - r["predicted"]) for r in rows) if n else 0.0
    auc = float(roc_auc_score(labels, probs)) if 0 < labels.sum() < n else None
    return {"ece": round(float(ece), 4), "auc": None if auc is None else round(auc, 4), "pairs": n,
            "relevant": int(labels.sum()), "bins": rows}  # fmt: skip


@dataclass
class LevelMap:
    """One level's map (isotonic thresholds) and how well it is calibrated out of fold."""

    x: list[float]
    y: list[float]
    source: str  # the judgements it was fitted on
    figures: dict[str, Any] = field(default_factory=dict)  # out-of-fold ECE, AUC, bins; pairs, queries

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(scores, float), self.x, self.y) if self.x else np.clip(scores, 0.0, 1.0)


def _isotonic(scores: np.ndarray, labels: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, labels)


def fit_level(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, source: str) -> LevelMap:
    """A level's map: out-of-fold figures (folds grouped by query), then the map refitted on every pair."""
    scores, labels, groups = np.asarray(scores, float), np.asarray(labels, float), np.asarray(groups)
    if len(scores) == 0 or labels.sum() == 0:
        raise InputError(f"no relevant pair among the {len(scores)} scored for calibration ({source})")
    folds = min(FOLDS, len(set(groups.tolist())))
    held_out = np.zeros(len(scores))
    if folds >= 2:
        for train, test in GroupKFold(n_splits=folds).split(scores, labels, groups):
            held_out[test] = _isotonic(scores[train], labels[train]).predict(scores[test])
    figures = {**reliability(held_out, labels), "queries": len(set(groups.tolist())), "folds": folds}
    full = _isotonic(scores, labels)
    return LevelMap(full.X_thresholds_.tolist(), full.y_thresholds_.tolist(), source, figures)


@dataclass
class Calibration:
    """The maps of a workspace, by level; `probabilities(level, scores)` is what the 匹配度 is computed from."""

    levels: dict[str, LevelMap] = field(default_factory=dict)

    def probabilities(self, level: str, scores: np.ndarray) -> np.ndarray:
        found = self.levels.get(level)
        return found(scores) if found else np.clip(np.asarray(scores, float), 0.0, 1.0)

    def merged(self, other: Calibration) -> Calibration:
        return Calibration({**self.levels, **other.levels})

    def save(self, folder: Path, *, embedder: str, name: str) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        data = {level: asdict(m) for level, m in self.levels.items()}
        (folder / FILE).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / CARD).write_text(self.card(name=name, embedder=embedder), encoding="utf-8")
        return write_params(folder, {"kind": "calibration", "name": name, "embedder": embedder}, files=[FILE, CARD])

    def card(self, *, name: str, embedder: str) -> str:
        """The model card: per level, the judgements each map came from and its out-of-fold figures."""
        rows = [
            f"| `{key}` | {m.source} | {f.get('queries', '—')} | {f.get('pairs', '—')} | {f.get('relevant', '—')} "
            f"| {f.get('ece', '—')} | {f.get('auc', '—')} |"
            for key, m in sorted(self.levels.items())
            for f in [m.figures]
        ]
        return CARD_TEXT.format(name=name, embedder=embedder, rows="\n".join(rows))

    @classmethod
    def load(cls, folder: Path) -> tuple[Calibration, dict[str, Any]]:
        params = read_params(folder, MODEL)
        verify_files(folder, params, MODEL)
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
        return cls({key: LevelMap(**m) for key, m in data.items() if key.split(":")[0] in LEVELS}), params

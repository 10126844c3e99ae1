"""Calibration of the served scores into the 匹配度: per level and direction (outcome, expert, institution, needs,
enterprises), an isotonic map from the score a hit is served with to the probability that staff judge it relevant.

A map is fitted on (score, relevant) pairs gathered from judged needs (`learn/calibrate.py`), grouped by query:
out-of-fold predictions (GroupKFold) give the figures it is judged by — ECE, AUC, the reliability bins — and the map
kept is refitted on every pair. Its shape (`maps.py`) is chosen among the families there by out-of-fold log-loss
(ECE recorded beside it): strictly increasing, so a list is flat only where its scores are, and capped by what the
top block's judged pairs support. The artifact is a folder of plain files: `calibration.json` (per level: the
map's knots, its family, its figures, the data it came from) and `params.json` (versions, checksums). A key
without a map has no 匹配度: `probabilities` answers None and the hit shows its rank and reasons only (尚未校准).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

from matcher.artifacts.folder import MODEL, read_params, verify_files, write_params
from matcher.errors import InputError
from matcher.ranking.maps import FAMILIES, PRIOR, Knots, apply, fit_knots

FILE = "calibration.json"
CARD = "card.md"
CARD_TEXT = """# Model card: 匹配度 calibration `{name}`

**What it does.** Maps the score a hit is served with (per level and direction) onto the probability that staff
would judge the pair relevant (grade ≥ 2 of 0–3); the 匹配度 is that probability × 100. One map per key, strictly
increasing: isotonic blocks shrunk toward the base rate by their count (a Beta prior of {prior:.0f} pairs) joined by
straight lines, or a logistic (Platt) curve, whichever has the lower out-of-fold log-loss; capped at the top block's
shrunk rate. A key without a map shows no 匹配度 (尚未校准), never the raw score.

**Fitted on.** The judgements named per key below, run through the served pipeline (embedder `{embedder}`; a
workspace with another embedder does not use these maps). Where judgements name outcomes, expert and institution
judgements are derived from them (a target's grade is the best grade of its judged outcomes), `needs:vote` inverts
them (成果找需求) and `enterprises:vote` grades an enterprise by the judged needs it is shown with (成果找企业).

**Figures.** Out of fold: 5 folds grouped by query, so no query's pairs are in both the fit and the figure.
ECE = Σ (bin count / n) · |observed − predicted| over 10 equal-width bins; AUC of the predictions.

| key | judgements | queries | pairs | relevant | map | ECE (out of fold) | log-loss | AUC | top |
|---|---|---|---|---|---|---|---|---|---|
{rows}

"top" is the most the map says (the 匹配度 of the best-scored hits).

**Limits.** Only as good as its judgements, and each key's judgements come from one corpus (named above): on a
corpus unlike it the maps keep the order but may be off in level — how the shipped maps held on corpora they never
saw is in `models/held-out.md`. A deployment should refit on its own judgements (`matcher train --from-judgements`
refits these maps after the ranker). With rare relevant pairs (reverse matching) nearly every prediction falls in
the lowest bin and the ECE is small by construction: read the AUC and the reliability diagram of `matcher
evaluate` beside it.
"""
LEVELS = ("outcome", "expert", "institution", "needs", "enterprises")


def served_keys(*, ranker: bool, expert_ranker: bool, reverse: tuple[str, ...] = ()) -> list[str]:
    """The keys a server gives 匹配度 for, with or without an outcome ranker and an expert ranker, and with the
    reverse ranker served at the `reverse` levels (needs, enterprises; 找企业 shows its needs as evidence, through
    `needs:ranker`) — the names `match/forward.score_kind` and `match/reverse` use."""
    needs = ["needs:ranker"] if reverse else []
    needs += [] if "needs" in reverse else ["needs:vote"]
    enterprises = "enterprises:ranker" if "enterprises" in reverse else "enterprises:vote"
    return ["outcome:ranker" if ranker else "outcome:fused", "expert:ranker" if expert_ranker else "expert:vote",
            "institution:vote", *needs, enterprises]  # fmt: skip


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
    """One key's map (knots of a strictly increasing curve, `maps.py`) and how well it is calibrated out of fold."""

    x: list[float]
    y: list[float]
    source: str  # the judgements it was fitted on
    figures: dict[str, Any] = field(default_factory=dict)  # out-of-fold ECE, log-loss, AUC, bins; pairs, queries
    family: str = "isotonic"
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.x or len(self.x) != len(self.y):
            raise InputError(f"a 匹配度 map needs knots ({self.source})")

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return apply(Knots(self.x, self.y, self.scale), np.asarray(scores, float))


def _fold_predictions(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, folds: int) -> dict[str, Any]:
    """Out-of-fold predictions of each family (None for a family that cannot be fitted on some fold)."""
    held: dict[str, np.ndarray | None] = {f: np.zeros(len(scores)) for f in FAMILIES}
    for train, test in GroupKFold(n_splits=folds).split(scores, labels, groups):
        for family in FAMILIES:
            knots = fit_knots(family, scores[train], labels[train]) if labels[train].sum() > 0 else None
            current = held[family]
            if knots is None or current is None:
                held[family] = None
            else:
                current[test] = apply(knots, scores[test])
    return held


def _log_loss(probs: np.ndarray, labels: np.ndarray) -> float:
    return round(float(log_loss(labels, np.clip(probs, 1e-6, 1 - 1e-6), labels=[0, 1])), 4)


def fit_level(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, source: str) -> LevelMap:
    """A key's map: each family judged out of fold (folds grouped by query), the one with the lower log-loss
    refitted on every pair."""
    scores, labels, groups = np.asarray(scores, float), np.asarray(labels, float), np.asarray(groups)
    if len(scores) == 0 or labels.sum() == 0:
        raise InputError(f"no relevant pair among the {len(scores)} scored for calibration ({source})")
    folds = min(FOLDS, len(set(groups.tolist())))
    held = _fold_predictions(scores, labels, groups, folds) if folds >= 2 else {}
    judged = {f: {"ece": reliability(p, labels)["ece"], "log_loss": _log_loss(p, labels)}
              for f, p in held.items() if p is not None}  # fmt: skip
    family = min(judged, key=lambda f: judged[f]["log_loss"]) if judged else "isotonic"
    knots = fit_knots(family, scores, labels) or fit_knots("isotonic", scores, labels)
    assert knots is not None  # isotonic always fits
    chosen = held.get(family)
    figures = {**(reliability(chosen, labels) if chosen is not None else {"pairs": len(scores)}),
               "log_loss": judged.get(family, {}).get("log_loss"), "families": judged,
               "queries": len(set(groups.tolist())), "folds": folds, "prior": PRIOR,
               "top": round(knots.y[-1], 4)}  # fmt: skip
    return LevelMap(knots.x, knots.y, source, figures, family, knots.scale)


@dataclass
class Calibration:
    """The maps of a workspace, by level; `probabilities(level, scores)` is what the 匹配度 is computed from."""

    levels: dict[str, LevelMap] = field(default_factory=dict)

    def probabilities(self, level: str, scores: np.ndarray) -> np.ndarray | None:
        """The probabilities of relevance of served scores of `level`, or None when it has no map (no 匹配度)."""
        found = self.levels.get(level)
        return found(scores) if found else None

    def missing(self, keys: list[str]) -> list[str]:
        """The served keys without a map."""
        return [k for k in keys if k not in self.levels]

    def merged(self, other: Calibration) -> Calibration:
        return Calibration({**self.levels, **other.levels})

    def save(self, folder: Path, *, embedder: str, name: str, served: list[str] | None = None) -> dict[str, Any]:
        """Write the maps and their card; with `served` (the keys the server will give 匹配度 for) the card check
        refuses a set of maps that lacks one of them."""
        missing = self.missing(served or [])
        if missing:
            raise InputError(f"no 匹配度 map for the served key(s) {', '.join(missing)}: fit them before shipping")
        folder.mkdir(parents=True, exist_ok=True)
        data = {level: asdict(m) for level, m in self.levels.items()}
        (folder / FILE).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / CARD).write_text(self.card(name=name, embedder=embedder), encoding="utf-8")
        return write_params(folder, {"kind": "calibration", "name": name, "embedder": embedder}, files=[FILE, CARD])

    def card(self, *, name: str, embedder: str) -> str:
        """The model card: per level, the judgements each map came from and its out-of-fold figures."""
        rows = [
            f"| `{key}` | {m.source} | {f.get('queries', '—')} | {f.get('pairs', '—')} | {f.get('relevant', '—')} "
            f"| {m.family} | {f.get('ece', '—')} | {f.get('log_loss', '—')} | {f.get('auc', '—')} "
            f"| {100 * m.y[-1]:.1f} |"
            for key, m in sorted(self.levels.items())
            for f in [m.figures]
        ]
        return CARD_TEXT.format(name=name, embedder=embedder, rows="\n".join(rows), prior=PRIOR)

    @classmethod
    def load(cls, folder: Path) -> tuple[Calibration, dict[str, Any]]:
        params = read_params(folder, MODEL)
        verify_files(folder, params, MODEL)
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
        return cls({key: LevelMap(**m) for key, m in data.items() if key.split(":")[0] in LEVELS}), params

"""The model card (card.md) written beside every trained ranker."""

from __future__ import annotations

from typing import Any

from matcher.features import DESCRIPTIONS


def render_card(params: dict[str, Any]) -> str:
    cv = params["cv"]
    rows = "\n".join(f"| `{row['params']}` | {row['ndcg@10']:.4f} ± {row['std']:.4f} |" for row in cv["table"])
    features = "\n".join(f"| `{name}` | {text} |" for name, text in DESCRIPTIONS.items())
    training = params["training"]
    return f"""# Model card: matcher ranker `{params["name"]}`

**What it does.** Re-scores the top candidate outcomes of matcher's hybrid retrieval (BM25 + dense) for an
enterprise need, and gives a calibrated 0–100 match score with the features that drove it. Expert and
institution rankings are roll-ups of these outcome scores.

**Trained on.** {training["needs"]} needs, {training["pairs"]} judged (need, outcome) pairs, grades
{training["grades"]}; sources: {", ".join(params.get("sources", [])) or "workspace feedback"}.
Embedder: `{params["embedder"]}`. A workspace using another embedder ignores this model (fused ranking instead).

**Selection.** {cv["folds"]}-fold cross-validation grouped by need (no need in both train and test); the
configuration with the best mean nDCG@10 was refitted on all pairs.

| configuration | CV nDCG@10 (mean ± std over folds) |
|---|---|
{rows}

Chosen: `{cv["best"]["params"]}` — CV nDCG@10 {cv["best"]["ndcg@10"]:.4f}.

**Limits.** Judgements are few and partly subjective; the score is calibrated on the training pairs only
(isotonic map of the raw score onto gain / max gain), so treat 0–100 as an ordering aid, not a probability.
The model has not seen needs from fields absent in its training data.

## Features

| feature | meaning |
|---|---|
{features}
"""

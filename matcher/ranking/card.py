"""The model card (card.md) written beside every trained ranker."""

from __future__ import annotations

from typing import Any

RULES = {
    "one-se": "the simplest configuration whose mean is within one standard error of the best",
    "best": "the configuration with the best mean",
}


def render_card(
    params: dict[str, Any], *, purpose: str, pairs: str, descriptions: dict[str, str], query: str = "need"
) -> str:
    """Markdown: what the model does (`purpose`), what it learned from (`pairs` names the judged pairs, `query`
    what one group of them is), how it was chosen (the CV table), its limits and its features (`descriptions`)."""
    cv, training = params["cv"], params["training"]
    metric = cv["metric"]
    rows = "\n".join(f"| `{row['params']}` | {row['mean']:.4f} ± {row['std']:.4f} |" for row in cv["table"])
    features = "\n".join(f"| `{name}` | {text} |" for name, text in descriptions.items())
    served = (f"\n\n**Served at.** {', '.join(params['levels']) or 'no level'}; at the other levels results are ranked "
              "by fused retrieval, or the fused vote (this ranker made them worse on corpora it never saw: "
              "`models/held-out.md`)."
              if "levels" in params else "")  # fmt: skip
    return f"""# Model card: matcher ranker `{params["name"]}`

**What it does.** {purpose}

**Trained on.** {training["needs"]} {query}s, {training["pairs"]} judged {pairs}, grades
{training["grades"]}; sources: {", ".join(params.get("sources", [])) or "workspace feedback"}.
Embedder: `{params["embedder"]}`. A workspace using another embedder ignores this model.

**Selection.** {cv["folds"]}-fold cross-validation grouped by {query} (no {query} in both train and test);
{RULES[cv["rule"]]} ({metric}) was refitted on all pairs.

| configuration | CV {metric} (mean ± std over folds) |
|---|---|
{rows}

Chosen: `{cv["best"]["params"]}` — CV {metric} {cv["best"]["mean"]:.4f}.

**Limits.** Judgements are few and partly subjective. The 匹配度 staff see is not this model's raw output: the
calibration maps (`models/calibration`, its own card) turn the served score into the probability of a relevant
judgement, fitted and measured out of fold. The model has not seen needs from fields absent in its training
data.{served}

## Features

| feature | meaning |
|---|---|
{features}
"""

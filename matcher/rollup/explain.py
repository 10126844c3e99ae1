"""Reasons of each hit's own, quoted from its evidence — so two hits with different evidence never read the same:

- the need's key terms the hit covers: 命中需求关键词 3/6：铸造、涂料、光洁度;
- the sentence of an evidence outcome's abstract (or its title) that matches the need best: its IDF-weighted
  coverage of the need's keywords, ties to the shorter sentence, the terms it shares highlighted on the page;
- the ranker's strongest contributions, with their values: 需求与成果语义相近（+0.42）.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
MAX_SENTENCE = 120
CONTRIBUTIONS = 3


class Weights(Protocol):
    def idf(self, token: str) -> float: ...


def covered(keywords: list[str], matched: list[str]) -> str | None:
    """命中需求关键词 k/n：… over the need's keywords (the first six, the ones that weigh most)."""
    head = keywords[:6]
    hit = [k for k in head if k in set(matched)]
    return f"命中需求关键词 {len(hit)}/{len(head)}：{'、'.join(hit)}" if hit and head else None


def best_sentence(text: str, keywords: list[str], weights: Weights) -> tuple[str, list[str]] | None:
    """The sentence of `text` that covers the most keyword weight (ties: the shorter), and the keywords it holds."""
    best: tuple[float, int, str, list[str]] | None = None
    for found in SENTENCE.finditer(text):
        sentence = found.group().strip()
        terms = [k for k in keywords if k in sentence]
        if not terms:
            continue
        key = (sum(weights.idf(k) for k in terms), -len(sentence), sentence[:MAX_SENTENCE], terms)
        if best is None or key[:2] > best[:2]:
            best = key
    return (best[2], best[3]) if best else None


def contributions(reasons: list[dict[str, Any]]) -> list[str]:
    """The ranker's strongest reasons with their values (only those that raised the score)."""
    return [f"{r['why']}（{r['effect']:+.2f}）" for r in reasons[:CONTRIBUTIONS] if r.get("effect", 0) > 0]


def explain(hit: Any, keywords: list[str], texts: dict[str, str], weights: Weights) -> None:
    """Set `hit.why` (the lines) and `hit.sentence` ({outcome, text, terms}) from the hit's own evidence; `texts`
    holds each evidence outcome's title and abstract by outcome id."""
    outcomes = [hit] if not hasattr(hit, "evidence") else hit.evidence
    lines = [line for line in (covered(keywords, hit.matched_terms),) if line]
    if hasattr(hit, "n_outcomes") and outcomes:
        lines.append(f"相关成果 {hit.n_outcomes} 项，最相关：《{outcomes[0].title}》")
    hit.sentence = quote(outcomes, keywords, texts, weights)
    if hit.sentence:
        lines.append(f"原文：「{hit.sentence['text']}」")
    lines += contributions(getattr(outcomes[0], "reasons", []) if outcomes else [])
    hit.why = lines


def quote(outcomes: list[Any], keywords: list[str], texts: dict[str, str], weights: Weights) -> dict[str, Any] | None:
    """The evidence sentence that matches the need best (the first outcome holding one), else the top evidence
    outcome's first sentence: every hit quotes its own evidence."""
    for outcome in outcomes:
        found = best_sentence(texts.get(outcome.id, ""), keywords, weights)
        if found:
            return {"outcome": outcome.id, "title": outcome.title, "text": found[0], "terms": found[1]}
    if not outcomes:
        return None
    first = SENTENCE.search(texts.get(outcomes[0].id) or outcomes[0].title)
    text = (first.group().strip() if first else outcomes[0].title)[:MAX_SENTENCE]
    return {"outcome": outcomes[0].id, "title": outcomes[0].title, "text": text, "terms": []}

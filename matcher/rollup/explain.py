"""Reasons of each hit's own, quoted from its evidence — so two hits with different evidence never read the same:

- the need's key terms the hit covers, counted over the same terms the page highlights (the hit's matched terms):
  命中需求关键词 3/9：铸造、涂料、光洁度;
- the sentence of an evidence outcome's abstract (or its title) that matches the need best: its IDF-weighted
  coverage of the need's keywords, ties to the shorter sentence, the terms it shares highlighted on the page;
- the ranker's strongest contributions, in words only (no weights, no signal names): 成果内容与需求意思相近.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
MAX_SENTENCE = 120
CONTRIBUTIONS = 3
LISTED = 8  # matched terms named in the line (the count covers all)


class Weights(Protocol):
    def idf(self, token: str) -> float: ...


def covered(keywords: list[str], matched: list[str]) -> str | None:
    """命中需求关键词 k/n：… over all the need's keywords, k counting the matched ones the page highlights."""
    found = set(matched)
    hit = [k for k in keywords if k in found]
    if not hit:
        return None
    more = "等" if len(hit) > LISTED else ""
    return f"命中需求关键词 {len(hit)}/{len(keywords)}：{'、'.join(hit[:LISTED])}{more}"


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
    """The ranker's strongest reasons in words (only those that raised the score; the weights stay out of view)."""
    return [str(r["why"]) for r in reasons[:CONTRIBUTIONS] if r.get("effect", 0) > 0]


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

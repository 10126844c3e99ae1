"""Training pairs for the domain-tuned embedder: (query text, passage text, group) — judged need ↔ outcome pairs,
and pairs the corpus gives for free (two outcomes of one expert; an outcome's title ↔ its abstract) — plus one
BM25-mined hard negative per pair, a held-out split by group (a need or an expert never on both sides), and the
corpus distractors the held-out pairs are ranked among."""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from typing import Any

import bm25s
import numpy as np

from matcher.store.resolve import Canonical, canonical_name, load_alias_file, outcome_expert_id
from matcher.text.normalize import compose
from matcher.text.tokenize import Tokenizer

DISTRACTORS = 2000  # corpus passages beside the held-out ones when base, tuned and blends are compared


@dataclass(frozen=True)
class Pair:
    query: str
    passage: str
    group: str  # the need or expert the pair came from: held-out splits never separate a group
    negative: str = ""


def outcome_text(row: dict[str, Any], max_chars: int) -> str:
    return compose(row["title"], row.get("abstract", ""), max_chars)


def judged_pairs(
    needs: list[dict[str, Any]], outcomes: dict[str, dict[str, Any]], qrels: dict[str, dict[str, int]], max_chars: int
) -> list[Pair]:
    """Need text ↔ each outcome judged relevant (gain ≥ 1) to it."""
    text = {n["id"]: compose(n["title"], n.get("description", ""), max_chars) for n in needs}
    return [
        Pair(text[q], outcome_text(outcomes[o], max_chars), q)
        for q, judged in sorted(qrels.items())
        if q in text
        for o, gain in sorted(judged.items())
        if gain >= 1 and o in outcomes
    ]


def expert_keys(row: dict[str, Any], canonical: Canonical) -> list[str]:
    """The store's ids of an outcome's experts, as `matcher import` makes them."""
    return [
        outcome_expert_id(ref["name"], ref.get("id"), ref.get("institution"), row.get("institution"), canonical)
        for ref in row.get("experts") or []
    ]


def corpus_pairs(
    outcomes: list[dict[str, Any]], max_chars: int, *, per_expert: int = 3, aliases: dict[str, str] | None = None
) -> list[Pair]:
    """Two outcomes of one expert, at most `per_expert` pairs each: the newer one's title asks for the older one's
    text, as a new need asks for what an expert has done (outcomes without a year count as the oldest and keep their
    file order); and an outcome's title ↔ its full text where it has an abstract. `outcomes` are validated records
    (`ingest.importer.valid_records`: a year is a number); experts are grouped by the store's ids (`aliases`: the
    institution alias list, the bundled one by default)."""
    canonical = partial(canonical_name, aliases=load_alias_file() if aliases is None else aliases)
    by_expert: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in outcomes:
        for key in expert_keys(row, canonical):
            by_expert[key].append(row)
    pairs = [
        Pair(newer["title"], outcome_text(older, max_chars), f"expert:{key}")
        for key, rows in sorted(by_expert.items())
        for older, newer in list(combinations(sorted(rows, key=lambda r: r.get("year") or 0), 2))[:per_expert]
    ]
    pairs += [Pair(r["title"], outcome_text(r, max_chars), f"outcome:{r['id']}") for r in outcomes if r.get("abstract")]
    return pairs


def distractors(
    outcomes: list[dict[str, Any]], test: list[Pair], max_chars: int, *, limit: int = DISTRACTORS, seed: int = 0
) -> list[str]:
    """Up to `limit` corpus passages, none a held-out pair's query or passage, among which the held-out queries
    rank their own passages: the held-out passages alone are too few to tell a worse model from a better one."""
    held = {p.passage for p in test} | {p.query for p in test}
    texts = sorted({outcome_text(r, max_chars) for r in outcomes if r["title"] not in held} - held)
    random.Random(seed).shuffle(texts)
    return texts[:limit]


def held_out(group: str, share: float) -> bool:
    """A stable split of groups: the same group always falls on the same side."""
    return zlib.crc32(group.encode("utf-8")) % 1000 < share * 1000


def split(pairs: list[Pair], share: float) -> tuple[list[Pair], list[Pair]]:
    test = [p for p in pairs if held_out(p.group, share)]
    return [p for p in pairs if not held_out(p.group, share)], test


def with_hard_negatives(pairs: list[Pair], tokenizer: Tokenizer, *, seed: int = 0) -> list[Pair]:
    """Each pair gets the passage BM25 ranks highest for its query among the other groups' passages."""
    passages = sorted({p.passage for p in pairs})
    owners: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        owners[p.passage].add(p.group)
    retriever = bm25s.BM25()
    retriever.index([tokenizer.tokens(t) or ["_"] for t in passages], show_progress=False)
    rng = random.Random(seed)
    out = []
    for p in pairs:
        scores = retriever.get_scores(tokenizer.tokens(p.query) or ["_"])
        ranked = np.argsort(-scores, kind="stable")[:20].tolist()
        negative = next((passages[i] for i in ranked if p.group not in owners[passages[i]]), rng.choice(passages))
        out.append(Pair(p.query, p.passage, p.group, negative))
    return out

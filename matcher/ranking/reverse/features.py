"""Pair features for (outcome probe, candidate need) in the reverse direction (成果找需求), computed in one place.
`REVERSE_FEATURES` is the contract between training, scoring and the model card; `DESCRIPTIONS` documents each.

They are the forward pair features that read the same both ways (the cosine of the need's query vector and the
outcome's passage vector, BM25, keyword and title overlap, the need's length), taken relative to the probe's
candidate needs instead of a need's candidate outcomes, and the reverse vote's own signals (the served vote, the
best fused rank, how many of the probe's outcomes found the need). A probe of several outcomes (an expert, an
institution) takes the best part for the cosine and BM25. No value is ever NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matcher.index.needs import NeedIndexes
from matcher.search.needs import Found
from matcher.search.probe import Probe
from matcher.store.tables import Need
from matcher.text.tokenize import Tokenizer

DESCRIPTIONS: dict[str, str] = {
    "vote": "the served reverse vote: Σ over the probe's outcomes of 1/√(the need's fused rank)",
    "vote_norm": "vote divided by the best vote among the probe's candidate needs",
    "best_rr": "1 / the need's best fused rank among the probe's outcomes",
    "part_share": "share of the probe's outcomes whose fused list holds the need",
    "dense_cos": "cosine of the need's query embedding and the outcome's passage embedding (best outcome)",
    "dense_z": "dense_cos as a z-score within the probe's candidate needs",
    "bm25": "BM25 score of the need for the outcome's terms (best outcome)",
    "bm25_norm": "BM25 divided by the best BM25 among the probe's candidate needs",
    "bm25_z": "BM25 as a z-score within the probe's candidate needs",
    "kw_idf_cover": "IDF mass of the outcome's keywords found in the need / total keyword IDF mass",
    "kw_hits": "number of the outcome's keywords found in the need",
    "need_kw_cover": "IDF mass of the need's keywords found in the outcome / total (the forward kw_idf_cover)",
    "title_cover": "share of the need title's tokens found in the outcome (as forward)",
    "need_len": "log(1 + number of need tokens)",
}
REVERSE_FEATURES: tuple[str, ...] = tuple(DESCRIPTIONS)
NEED_KEYWORDS = 10
NEED_TEXTS = 20_000  # needs whose tokens are remembered (per tokenizer): a question re-scores up to 100 of them


@lru_cache(maxsize=NEED_TEXTS)
def need_tokens(tokenizer: Tokenizer, title: str, description: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A need's tokens (title and description) and its title's, cut once per tokenizer and text."""
    return tuple(tokenizer.tokens(f"{title} {description}")), tuple(tokenizer.tokens(title))


@lru_cache(maxsize=NEED_TEXTS)
def need_keywords(tokenizer: Tokenizer, tokens: tuple[str, ...]) -> tuple[str, ...]:
    """A need's TF-IDF keywords, computed once per tokenizer and token list."""
    return tuple(k for k, _ in tokenizer.keywords(list(tokens), NEED_KEYWORDS))


@dataclass
class NeedSignals:
    """Raw signals of one probe's candidate needs, aligned by position."""

    vote: np.ndarray
    best_rank: np.ndarray  # 1-based
    found_by: np.ndarray  # how many of the probe's outcomes retrieved the need
    dense: np.ndarray
    bm25: np.ndarray
    tokens: list[tuple[str, ...]]  # the need's tokens (title and description)
    title_tokens: list[tuple[str, ...]]


def need_signals(
    probe: Probe, found: list[Found], needs: dict[int, Need], index: NeedIndexes, tokenizer: Tokenizer
) -> NeedSignals:
    """The signals of the needs in `found` (each must be in `needs` and in the need index)."""
    pks = [f.pk for f in found]
    parts = probe.parts
    vectors = index.dense.vectors(pks) if pks else np.zeros((0, 1))
    cos = vectors @ np.vstack([p.vector for p in parts]).T if pks and parts else np.zeros((len(pks), 1))
    bm25 = np.vstack([index.lexical.score_pks(p.terms, pks) for p in parts]).T if parts else np.zeros((len(pks), 1))
    cut = [need_tokens(tokenizer, needs[pk].title, needs[pk].description) for pk in pks]
    return NeedSignals(
        vote=np.array([f.score for f in found], dtype=float),
        best_rank=np.array([min((p.rank for p in f.parts), default=0) for f in found], dtype=float),
        found_by=np.array([len({p.outcome_id for p in f.parts}) for f in found], dtype=float),
        dense=np.asarray(cos.max(axis=1) if len(pks) else np.zeros(0), dtype=float),
        bm25=np.asarray(bm25.max(axis=1) if len(pks) else np.zeros(0), dtype=float),
        tokens=[tokens for tokens, _ in cut],
        title_tokens=[title for _, title in cut],
    )


def _z(x: np.ndarray) -> np.ndarray:
    std = float(x.std()) if len(x) > 1 else 0.0
    return (x - x.mean()) / std if std > 0 else np.zeros_like(x)


def _cover(keywords: list[str], present: set[str], tokenizer: Tokenizer) -> tuple[float, float]:
    """(IDF mass of `keywords` found in `present` / total IDF mass, how many were found)."""
    hits = [k for k in keywords if k in present]
    total = sum(tokenizer.idf(k) for k in keywords) or 1.0
    return sum(tokenizer.idf(k) for k in hits) / total, float(len(hits))


def reverse_features(signals: NeedSignals, probe: Probe, tokenizer: Tokenizer) -> np.ndarray:
    """Feature matrix (candidates × len(REVERSE_FEATURES)) in the order of REVERSE_FEATURES."""
    n = len(signals.vote)
    if n == 0:
        return np.zeros((0, len(REVERSE_FEATURES)))
    probe_tokens = {t for p in probe.parts for t in p.tokens}
    parts = max(len(probe.parts), 1)
    best_vote = float(signals.vote.max()) or 1.0
    best_bm25 = float(signals.bm25.max()) if signals.bm25.max() > 0 else 1.0
    rows = []
    for i in range(n):
        present = set(signals.tokens[i])
        title = set(signals.title_tokens[i])
        keywords = list(need_keywords(tokenizer, tuple(signals.tokens[i])))
        rows.append(
            [
                signals.vote[i],
                signals.vote[i] / best_vote,
                1.0 / signals.best_rank[i] if signals.best_rank[i] > 0 else 0.0,
                signals.found_by[i] / parts,
                signals.dense[i],
                0.0,
                signals.bm25[i],
                signals.bm25[i] / best_bm25,
                0.0,
                *_cover(probe.keywords, present, tokenizer),
                _cover(keywords, probe_tokens, tokenizer)[0],
                len(title & probe_tokens) / len(title) if title else 0.0,
                float(np.log1p(len(signals.tokens[i]))),
            ]
        )
    X = np.asarray(rows, dtype=float)
    X[:, REVERSE_FEATURES.index("dense_z")] = _z(signals.dense)
    X[:, REVERSE_FEATURES.index("bm25_z")] = _z(signals.bm25)
    return X

"""How good are the map's topics? Cluster labelled records (CSL: 2,000 papers in 67 disciplines) and compare the
clusters with the disciplines by NMI and ARI, beside a keyword-only baseline (TF-IDF + k-means) and plain
embeddings + k-means at the true number of disciplines."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from matcher.embed.cache import CachedEmbedder
from matcher.errors import InputError
from matcher.ingest.importer import valid_records
from matcher.map import topics as tp
from matcher.map.build import MapParams, topics_of
from matcher.text.normalize import compose
from matcher.text.tokenize import Tokenizer

log = logging.getLogger(__name__)


def read_labelled(path: Path) -> tuple[list[dict[str, Any]], list[str], dict[str, int]]:
    """Records with a `field` label (the discipline), in any import format, as `matcher import` would store them,
    their labels, and how many rows were left out: rejected by the import's schema, or without a label."""
    records, rejected = valid_records(path, "outcomes")
    rows = [row for row in records if row.get("field")]
    if not rows:
        raise InputError(f"{path} holds no record with a 'field' label")
    unlabelled = len(records) - len(rows)
    if rejected or unlabelled:
        log.warning(
            "%s: %d row(s) rejected as `matcher import` would, %d without a 'field' label", path, rejected, unlabelled
        )
    return rows, [r["field"] for r in rows], {"rejected": rejected, "unlabelled": unlabelled}


def tfidf_kmeans(tokens: list[list[str]], k: int, seed: int) -> np.ndarray:
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform(tokens)
    return np.asarray(KMeans(k, random_state=seed, n_init=4).fit_predict(x))


def scores(truth: list[str], found: np.ndarray) -> dict[str, float]:
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, found)), 4),
        "ari": round(float(adjusted_rand_score(truth, found)), 4),
        "clusters": float(len(set(found.tolist()))),
    }


def _systems(vectors: np.ndarray, tokens: list[list[str]], k: int, seed: int) -> dict[str, np.ndarray]:
    space = tp.centred(vectors)
    return {
        f"TF-IDF + k-means (k={k})": tfidf_kmeans(tokens, k, seed),
        f"embeddings + k-means (k={k})": tp.cluster(vectors, k, seed=seed),
        f"map topics (--topics {k})": topics_of(space, MapParams(topics=k, seed=seed)),
        "map topics (--topics auto, as `matcher map build`)": topics_of(space, MapParams(seed=seed)),
    }


def _summary(per_seed: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric in per_seed[0]:
        values = np.array([s[metric] for s in per_seed], dtype=float)
        out[metric], out[f"{metric}_std"] = round(float(values.mean()), 4), round(float(values.std()), 4)
    return out


def evaluate_topics(
    path: Path,
    *,
    embedder: CachedEmbedder,
    tokenizer: Tokenizer,
    max_chars: int,
    seeds: int = 5,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Each system's NMI, ARI and cluster count against the labels, mean and std over k-means seeds 0..seeds-1."""
    rows, truth, left_out = read_labelled(path)
    k = len(set(truth))
    tokens = [tokenizer.tokens(f"{r['title']} {r.get('abstract', '')}") for r in rows]
    vectors = embedder.encode_documents([compose(r["title"], r.get("abstract", ""), max_chars) for r in rows], progress)
    runs: dict[str, list[dict[str, float]]] = {}
    for seed in range(seeds):
        for name, found in _systems(vectors, tokens, k, seed).items():
            runs.setdefault(name, []).append(scores(truth, found))
    return {
        "dataset": str(path),
        "records": len(rows),
        "left_out": left_out,
        "labels": k,
        "embedder": embedder.name,
        "seeds": seeds,
        "systems": {name: _summary(per_seed) for name, per_seed in runs.items()},
    }

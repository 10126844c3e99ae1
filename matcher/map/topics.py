"""Technology topics from embeddings: k-means on unit vectors, fields by agglomerating topic centroids, and labels
by class-based TF-IDF over jieba tokens.

Why these and not BERTopic or HDBSCAN: k-means assigns every outcome and need to a topic (a map with an "outlier"
bucket holding a third of the needs is useless to staff), is deterministic under a fixed seed, and runs in seconds
on 50k vectors on two cores; HDBSCAN on 384–512 dimensions needs UMAP first (another model, another seed, minutes).
BERTopic's own recipe is the c-TF-IDF labelling below, which needs nothing beyond counting.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans

from matcher.bundled import dict_dir
from matcher.text.tokenize import read_words

SEED = 0


@lru_cache(maxsize=1)
def label_stopwords() -> frozenset[str]:
    """Words too generic to name a topic (`data/dict/label_stopwords.txt`), read on first use."""
    return frozenset(read_words(dict_dir() / "label_stopwords.txt"))


_MINIBATCH_ABOVE = 20_000


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def centred(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors after removing the corpus mean: sentence embeddings share a common direction (anisotropy) that
    k-means would otherwise spend itself on. Measured on CSL (67 topics, 5 seeds): NMI 0.569 ± 0.005 against
    0.565 ± 0.004 uncentred — within noise; kept because it never hurt and removes the common direction."""
    x = unit(vectors)
    return unit(x - x.mean(axis=0, keepdims=True)) if len(x) > 1 else x


def auto_topics(n_docs: int, min_size: int) -> int:
    """Topics for `n_docs` documents: about √(n/2) (the classic rule of thumb), no more than n / min_size."""
    if n_docs < 2:
        return 1
    by_rule = round(math.sqrt(n_docs / 2))
    return int(max(1, min(by_rule, n_docs // max(min_size, 1), 400)))


def cluster(vectors: np.ndarray, k: int, *, seed: int = SEED) -> np.ndarray:
    """Topic of each row (0..k-1) by k-means on unit vectors (cosine geometry); deterministic under `seed`."""
    k = max(1, min(k, len(vectors)))
    if k == 1:
        return np.zeros(len(vectors), dtype=np.int64)
    x = unit(vectors)
    if len(x) > _MINIBATCH_ABOVE:
        model: KMeans | MiniBatchKMeans = MiniBatchKMeans(k, random_state=seed, n_init=3, batch_size=4096)
    else:
        model = KMeans(k, random_state=seed, n_init=4)
    return np.asarray(model.fit_predict(x), dtype=np.int64)


def merge_small(labels: np.ndarray, vectors: np.ndarray, min_size: int) -> np.ndarray:
    """Fold topics smaller than `min_size` into the nearest large topic (by centroid cosine), renumbered by size."""
    x = unit(vectors)
    sizes = Counter(labels.tolist())
    large = [t for t, n in sizes.items() if n >= min_size] or [sizes.most_common(1)[0][0]]
    cents = unit(np.stack([x[labels == t].mean(axis=0) for t in large]))
    out = labels.copy()
    for t in set(sizes) - set(large):
        rows = labels == t
        out[rows] = np.asarray(large)[np.argmax(x[rows] @ cents.T, axis=1)]
    return renumber(out)


def renumber(labels: np.ndarray) -> np.ndarray:
    """Topics numbered by size, largest first (ties by old number), so ids read as importance."""
    order = sorted(Counter(labels.tolist()).items(), key=lambda kv: (-kv[1], kv[0]))
    new = {old: i for i, (old, _) in enumerate(order)}
    return np.asarray([new[t] for t in labels.tolist()], dtype=np.int64)


def centroids(labels: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    x = unit(vectors)
    return unit(np.stack([x[labels == t].mean(axis=0) for t in range(int(labels.max()) + 1)]))


def auto_fields(n_topics: int) -> int:
    return max(1, min(n_topics, round(math.sqrt(n_topics))))


def group_topics(cents: np.ndarray, n_fields: int) -> np.ndarray:
    """Field of each topic: average-linkage clustering of topic centroids by cosine."""
    if n_fields <= 1 or len(cents) <= 1:
        return np.zeros(len(cents), dtype=np.int64)
    model = AgglomerativeClustering(n_clusters=min(n_fields, len(cents)), metric="cosine", linkage="average")
    return renumber(np.asarray(model.fit_predict(cents), dtype=np.int64))


def phrase(terms: Sequence[str], *, parts: int = 2) -> str:
    """A topic's name as staff would write it, from its strongest terms: a term inside a longer one among them is
    dropped (余热 and 回收 inside 余热回收), short Latin words are upper-cased (5g → 5G), and the first `parts` are
    joined by 与 ("余热回收与发电"); "" without terms."""
    kept: list[str] = []
    for term in terms:
        if any(term != other and term in other for other in terms) or term in kept:
            continue
        kept.append(term.upper() if term.isascii() and len(term) <= 4 else term)
        if len(kept) == parts:
            break
    return "与".join(kept)


@dataclass(frozen=True)
class Terms:
    """c-TF-IDF: term t in class c weighs tf(t, c) · log(1 + A / f(t)), A = mean tokens per class, f(t) = count
    of t over all classes (BERTopic's formula), so a label names what is frequent here and rare elsewhere."""

    top: int = 8
    min_chars: int = 2
    skip: frozenset[str] | None = None  # None: label_stopwords()

    def labels(self, tokens: Sequence[Sequence[str]], classes: np.ndarray) -> list[list[tuple[str, float]]]:
        skip = label_stopwords() if self.skip is None else self.skip
        per_class = [Counter[str]() for _ in range(int(classes.max()) + 1 if len(classes) else 0)]
        for doc, c in zip(tokens, classes.tolist(), strict=True):
            per_class[c].update(t for t in doc if len(t) >= self.min_chars and t not in skip)
        total: Counter[str] = Counter()
        for counts in per_class:
            total.update(counts)
        mean_len = sum(total.values()) / max(len(per_class), 1)
        return [self._top(counts, total, mean_len) for counts in per_class]

    def _top(self, counts: Counter[str], total: Counter[str], mean_len: float) -> list[tuple[str, float]]:
        size = sum(counts.values()) or 1
        scored = [(t, n / size * math.log(1 + mean_len / total[t])) for t, n in counts.items()]
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return [(t, round(w, 5)) for t, w in scored[: self.top]]

